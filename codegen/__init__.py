"""Maintainer tools for the stored contract: overlays, effective specs, generation."""
