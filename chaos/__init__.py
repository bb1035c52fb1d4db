"""Chaos experiments: steady state, method and rollbacks, with a journal so that a stopped
provider is always put back. Filled by the chaos capability (ROADMAP item 3)."""
