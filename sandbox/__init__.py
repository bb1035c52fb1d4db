"""The sandbox's configuration templates and the example checklist: package data, no code.

Installed as `gonogo._sandbox_files` (see pyproject.toml) and read through gonogo/resources.py;
being a regular package lets importlib.resources find it in the checkout and in the wheel.
"""
