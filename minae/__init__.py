"""minae: autoencoders from scratch in NumPy. The public names, nothing else."""

from minae.adversarial import AdversarialAutoencoder, dense_aae, train_aae
from minae.autoencoders import (
    AutoEncoder,
    conv_autoencoder,
    conv_dense_autoencoder,
    deep_autoencoder,
    dense_autoencoder,
    super_resolution_autoencoder,
    super_resolution_network,
)
from minae.data import (
    Dataset,
    DatasetUnavailableError,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    make_digits,
    read_idx,
    to_float_images,
    write_idx,
)
from minae.engine import FastEngine
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
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.pooling import AvgPool2D, MaxPool2D
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.layers.upsample import Upsample2D
from minae.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    gaussian_nll,
    mse,
)
from minae.optim import SGD, Adam, CosineLR, RMSprop, StepLR
from minae.pca import PCA
from minae.serialization import ParameterMismatchError, load, save
from minae.training import History, TrainingDivergedError, batches, fit
from minae.vae import VAE, ConditionalVAE, conditional_vae, conv_vae, dense_vae
from minae.variational import kl_divergence, kl_divergence_grad, sample, sample_backward

__version__ = "0.1.0"
