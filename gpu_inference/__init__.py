"""The Cloud Run GPU inference service (batched transformer inference); built by the inference issue.

Only this package may import torch or transformers; functions never do.
"""
