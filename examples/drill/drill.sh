#!/usr/bin/env bash
# A scheduled disaster-recovery drill: run what a drill is (the checklist's chaos and rollback
# stages), sign the verdict (a NO-GO is signed as a NO-GO), and keep the results folder
# (report/index.html, summary.md, signoff.json/.md). Arguments go to `gonogo run` as they are
# (e.g. -k drill-primary-down for one drill).
# Exit code: gonogo run's (0 GO, 1 NO-GO, 4 checklist error).
set -uo pipefail
GONOGO=${GONOGO:-.venv/bin/gonogo}
CHECKLIST=${GONOGO_CHECKLIST:-checklist.yaml}
STAGES=${GONOGO_DRILL_STAGES:-chaos,rollback}
RESULTS=${GONOGO_RESULTS:-${GONOGO_KEEP:-/var/lib/gonogo/drills}/$(date -u +%Y%m%dT%H%M%SZ)}
KEY=${GONOGO_SIGNOFF_KEY:-/etc/gonogo/signoff.key}

"$GONOGO" run --stage "$STAGES" --disrupt-production --checklist "$CHECKLIST" \
  --results "$RESULTS" --no-report "$@"
status=$?
if [ "$status" -le 1 ]; then
  "$GONOGO" signoff --by "${GONOGO_SIGNER:-scheduled drill}" --role "${GONOGO_ROLE:-on-call SRE}" \
    --key "$KEY" --note "scheduled drill" "$RESULTS" || true
fi
exit "$status"
