"""`python -m bot oncall import pagerduty|opsgenie <schedule id>...`: read schedules through the
vendor's REST API and print them as the `oncall` section of the configuration file.

Each vendor module turns its API's answer into `Imported` schedules (to_yaml.py), noting
whatever our schedules cannot say; to_yaml.py prints them, the notes as comments (cli.py
also writes them to stderr). Nothing is written anywhere: the team reviews the output and
pastes it into CONFIG_FILE.
"""
