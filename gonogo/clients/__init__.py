"""One small client per part of the target; each turns transport trouble into plain words."""
