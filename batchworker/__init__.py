"""The batch worker: a long-running consumer of the classify queue beside (or instead of) the Lambda function,
classifying many images per inference call with ONNX Runtime (CUDA when there is a GPU) or LiteRT.

    python -m batchworker        (make worker)
"""
