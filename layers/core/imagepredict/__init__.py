"""imagepredict: the shared code of the serverless image-classification backend (shipped as a Lambda layer)."""
