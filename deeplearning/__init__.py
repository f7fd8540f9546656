"""The MNIST notebook (MNIST.ipynb) and its headless runner (python -m deeplearning.run_notebook)."""
