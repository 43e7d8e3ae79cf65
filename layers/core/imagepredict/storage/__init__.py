"""Adapters to the systems that keep state: MongoDB, and (with later features) S3."""
