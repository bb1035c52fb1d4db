"""Sign-off: a person signs their name under a run's evidence with Ed25519, and anyone can
verify later that neither the evidence nor the sign-off changed (`gonogo signoff`,
`gonogo keygen`, `gonogo verify-signoff`)."""
