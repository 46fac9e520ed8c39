"""minae: autoencoders from scratch in NumPy. The public names, nothing else."""

from minae.gradcheck import (
    GradientCheckError,
    check_gradients,
    check_layer,
    check_loss,
    check_model,
    numerical_gradient,
    relative_error,
    report,
)
from minae.layers.activations import LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from minae.layers.base import Container, Layer
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    gaussian_nll,
    mse,
)

__version__ = "0.1.0"
