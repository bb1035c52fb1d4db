"""Load scenarios: Locust users and the glue that runs them as a subprocess and gates on their
thresholds. Filled by the load capability (see shared ROADMAP item 2)."""
