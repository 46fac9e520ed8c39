"""FastEngine: the fast roads of the convolution, with their settings and scratch buffers.

A model runs the taught im2col passes of ``minae.kernels.conv`` until it is given an engine::

    model.use_engine(FastEngine())          # every Conv2D / ConvTranspose2D takes the fast roads

The engine computes the same sums (the tests check every road against
``minae.kernels.reference``) by the road that copies least for each layer: the rule is in
``minae.engine.choose``, the roads in ``minae.engine.chunked`` and ``minae.engine.flat``.

Everything a road can be tuned by is a constructor argument, kept on the object: nothing is a
module attribute that a test or a benchmark reassigns. The scratch buffers belong to the
engine too, one set per thread (``minae.engine.scratch``), so the threads of ``SplitBatch``,
whose model copies share one engine, never share a buffer. Pooling and upsampling have a
single kernel each (``minae.kernels.pool``, ``minae.kernels.upsample``), which both paths run.
"""

from __future__ import annotations

import numpy as np

from minae.engine import choose
from minae.engine.scratch import Scratch


class FastEngine:
    """The fast convolution roads, and the settings they are tuned by.

    Parameters
    ----------
    chunk_bytes : int
        Bytes of scratch buffers per chunk of images (4 MiB: measured best of 1-8 MiB); ``1``
        means one image per chunk.
    flat_rows_waste : float
        The chunked input gradient uses flat rows (``col2im_flat``) when they add at most this
        fraction of multiplications (``Wp / OW - 1``); a negative value turns them off.
    flip_ratio : float
        A stride-1 pass scatters with the flipped kernel when its input has at least this many
        times its output's channels.
    flat_max_channels : int
        Stride-1 passes with at most this many channels on the unrolled side go to the flat road.
    polyphase_max_channels : int
        Strided passes (dilation 1) with ``sh * sw * C`` at most this go polyphase
        (``minae.engine.polyphase``); 0 turns that off.
    batchflat_max_channels : int
        Stride-1 weight gradients with at most this many input channels take the batch-flat
        road (``minae.engine.batchflat``); 0 turns that off.
    batchflat_max_pixels : int
        Stride-1 passes that would take the flat road, on outputs of at most this many pixels
        per image, take the batch-flat road instead; 0 (the default) turns that off (see
        ``minae.engine.choose``: a win on one BLAS thread, a loss on two).

    Shapes (every pass): ``x: (N, C, H, W)``, ``w: (F, C, KH, KW)``, ``y, dy: (N, F, OH, OW)``;
    arguments normalised (``stride = (sh, sw)``, ``padding = (pt, pb, pl, pr)``,
    ``dilation = (dh, dw)``) and checked by the layer.
    """

    def __init__(self, chunk_bytes: int = 2 ** 22, flat_rows_waste: float = 0.2,
                 flip_ratio: float = 4, flat_max_channels: int = 16,
                 polyphase_max_channels: int = 16, batchflat_max_channels: int = 1,
                 batchflat_max_pixels: int = 0) -> None:
        if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, (int, np.integer)) \
                or chunk_bytes < 1:
            raise ValueError(f"FastEngine chunk_bytes must be a positive integer; got "
                             f"{chunk_bytes!r}")
        for name, value in (("flat_max_channels", flat_max_channels),
                            ("polyphase_max_channels", polyphase_max_channels),
                            ("batchflat_max_channels", batchflat_max_channels),
                            ("batchflat_max_pixels", batchflat_max_pixels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"FastEngine {name} must be an integer; got {value!r}")
        self.chunk_bytes = int(chunk_bytes)
        self.flat_rows_waste = float(flat_rows_waste)
        self.flip_ratio = float(flip_ratio)
        self.flat_max_channels = int(flat_max_channels)
        self.polyphase_max_channels = int(polyphase_max_channels)
        self.batchflat_max_channels = int(batchflat_max_channels)
        self.batchflat_max_pixels = int(batchflat_max_pixels)
        self.scratch = Scratch()

    # -- what the roads ask of the engine ------------------------------------------------
    def chunks(self, N: int, bytes_per_image: int) -> list[tuple[int, int]]:
        """``(start, stop)`` ranges covering images ``0 .. N-1``, about ``chunk_bytes`` each."""
        n = max(1, min(N, self.chunk_bytes // max(1, bytes_per_image)))
        return [(a, min(a + n, N)) for a in range(0, N, n)]

    def scratch_bytes(self) -> int:
        """Bytes of scratch the calling thread holds in this engine."""
        return self.scratch.nbytes()

    def release_scratch(self) -> None:
        """Let go of the calling thread's scratch buffers in this engine."""
        self.scratch.release()

    # -- the convolution's passes ----------------------------------------------------------
    def conv2d(self, x: np.ndarray, w: np.ndarray, stride, padding, dilation,
               write=None) -> np.ndarray | None:
        """``y = conv2d(x, w)``: ``(N, C, H, W), (F, C, KH, KW) -> (N, F, OH, OW)``.

        ``write(a, b, y_chunk)``, if given, receives each chunk's result instead of a new ``y``
        (``minae.engine.epilogue``: bias, ReLU and pooling fused into the output write).
        """
        return choose.conv2d(self, x, w, stride, padding, dilation, write)

    def conv2d_dx(self, dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride, padding,
                  dilation) -> np.ndarray:
        """``dx = dL/dx`` of ``conv2d``: ``(N, F, OH, OW) -> x_shape = (N, C, H, W)``."""
        return choose.conv2d_dx(self, dy, w, x_shape, stride, padding, dilation)

    def conv2d_dw(self, x: np.ndarray, dy: np.ndarray, kernel_size, stride, padding,
                  dilation) -> np.ndarray:
        """``dw = dL/dw`` of ``conv2d``: ``(F, C, KH, KW)``."""
        return choose.conv2d_dw(self, x, dy, kernel_size, stride, padding, dilation)

    # -- the transposed convolution: the adjoint (see minae.kernels.conv) ------------------
    def conv_transpose2d_forward(self, x: np.ndarray, w: np.ndarray, y_shape: tuple, stride,
                                 padding, dilation) -> np.ndarray:
        """``y = A^T x`` = the convolution's input gradient: ``(N, C_in, H, W) -> y_shape``."""
        return self.conv2d_dx(x, w, y_shape, stride, padding, dilation)

    def conv_transpose2d_input_grad(self, dy: np.ndarray, w: np.ndarray, stride, padding,
                                    dilation) -> np.ndarray:
        """``dx = A dy``, a convolution of ``dy``: ``(N, C_out, OH, OW) -> (N, C_in, H, W)``."""
        return self.conv2d(dy, w, stride, padding, dilation)

    def conv_transpose2d_weight_grad(self, x: np.ndarray, dy: np.ndarray, kernel_size, stride,
                                     padding, dilation) -> np.ndarray:
        """``dW``: the convolution's weight gradient with input and output swapped."""
        return self.conv2d_dw(dy, x, kernel_size, stride, padding, dilation)

    def __deepcopy__(self, memo) -> FastEngine:
        return self  # copies of a model (SplitBatch's replicas) share their engine

    def __repr__(self) -> str:
        return (f"FastEngine(chunk_bytes={self.chunk_bytes}, "
                f"flat_rows_waste={self.flat_rows_waste}, flip_ratio={self.flip_ratio}, "
                f"flat_max_channels={self.flat_max_channels}, "
                f"polyphase_max_channels={self.polyphase_max_channels}, "
                f"batchflat_max_channels={self.batchflat_max_channels}, "
                f"batchflat_max_pixels={self.batchflat_max_pixels})")
