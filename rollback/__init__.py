"""Rollback drills: back up, deploy a bad change, roll back, measure recovery. Filled by the
rollback capability (ROADMAP item 3)."""
