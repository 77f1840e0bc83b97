"""Ecosystem health: how mesh-like the partner ecosystem is, month by month and per segment.

services.health_report reads everything in bulk and metrics computes the numbers (definitions in
portal/health/metrics.py); charts draws them as inline SVG; views serves /admin/health and its CSV.
"""
