"""The GPU container of the batch worker: its Dockerfile, pinned requirements and the script that pins them."""
