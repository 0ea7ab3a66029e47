"""The postmortem: capturing the analysis, action-item rules, the blameless check, metrics, the
draft and the export.
"""
