"""gonogo: deployment verification and chaos harness for multi-provider AI gateways.

The mechanism lives here: the checklist model, clients of the target, the check registry,
the pytest plugin, the sandbox and the command line. It never imports the folders around it
(checks/, load/, chaos/, rollback/, reports/); they reach it through the `gonogo.plugins`
entry points.
"""

from pathlib import Path

__version__ = "0.1.0"

# The source checkout this package runs from (an editable install): where sandbox/ lives.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
