"""SplitProcesses: split each batch between this process and worker processes (no shared GIL).

``SplitBatch`` (``minae.engine.parallel``) runs the parts of a batch in *threads*. That works
while NumPy spends its time inside large operations, which release Python's lock (the GIL).
The lesson's small convolutions are thousands of short NumPy calls per batch, and a thread
must hold the GIL between them. On 2 cores (``python benchmarks/split.py``), two threads each
running the fused conv autoencoder on 64 images took 27.0 ms for the pair against 17.6 ms for
one alone (a 1.31x gain from the second core), while two *processes* took 18.2 ms (1.95x).
A process has its own interpreter and its own GIL. So this class keeps the same
arithmetic as ``SplitBatch`` and moves the parts to processes::

    forward(x):   x = [x_0; x_1]   ->  y = [model_0.forward(x_0);  worker_1: forward(x_1)]
    backward(dy): dy = [dy_0; dy_1] -> model_0.backward(dy_0);       worker_1: backward(dy_1)
                  grads = grads_0 + grads_1

Part 0 runs here, on a replica of the model that shares its parameter arrays (as
``SplitBatch``'s do); every other part runs in a worker process, which holds its own copy of
the model. Before each forward pass the current parameters are sent to the workers (the
optimizer updates them here), so every part computes with the same weights; after each
backward pass the workers send their gradients back, and ``grads`` is the sum. Why the sum is
the whole batch's gradient: see ``minae.engine.parallel``. Arrays travel through pipes
(``multiprocessing.Pipe``, pickled): for the lesson's autoencoder that is about 0.6 MB a batch;
for a model with many parameters (the dense VAE's 807,700: 3.2 MB each way) the transfer can
cost more than the second core gains (``benchmarks/compare.py`` measures it).

A VAE's own loss is split too (``fit`` sees a model with a ``loss``, as it sees the VAE). It
is a mean over the batch's images, so with part ``k`` holding ``n_k`` of the ``N`` images::

    loss = sum_k (n_k / N) * loss_k          grads = sum_k (n_k / N) * grads_k

and the noise ``eps`` of the whole batch is drawn here, from the VAE's own generator as the
whole model would draw it, each part getting its rows: the split VAE computes what the whole
one does, up to the order of additions. Other models that compute their own loss are refused
(a sparsity penalty on the batch's mean activation is not a mean over images).

The workers are started by ``multiprocessing``'s "spawn" method, the same on every system: a
fresh Python imports minae and receives the model, pickled. So a script that uses this class
must start its work under ``if __name__ == "__main__":`` (a spawned process imports the
script's module; every minae demo does this), and a model with layers defined in a notebook
cannot be sent (define them in a ``.py`` file, or use ``SplitBatch``). Starting a worker takes
about a second, once; it happens at the first forward pass. The workers ignore Ctrl-C (the
training loop here handles it) and stop when ``close()`` is called, when this object is
garbage-collected, or when this process exits. If a worker fails, its traceback is raised
here; if it dies, the error says so: a call never waits on a dead worker.

BLAS runs one thread in each process while they work (``one_blas_thread``), or the processes
and BLAS's own threads fight over the cores. Use it for training:
``fit(SplitProcesses(Fused(model)), x, ...)``, ``fit(SplitProcesses(vae), x, ...)``; evaluate
and save ``model`` itself.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
import traceback
from contextlib import nullcontext

import numpy as np

from minae.engine.parallel import (
    Split,
    check_splittable,
    one_blas_thread,
    part_sizes,
    replica,
    split_rows,
)
from minae.vae import inputs

POLL_SECONDS = 0.5  # how often a wait checks that its worker is still alive


def serve(conn) -> None:
    """A worker's life: receive the model, then answer ``forward`` / ``backward`` until told
    to stop (or until the pipe closes: the parent is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        model = pickle.loads(conn.recv_bytes())
    except Exception:  # e.g. a layer class this fresh Python cannot import
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ok", "ready"))
    limit = one_blas_thread()
    with limit() if limit else nullcontext():
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message[0] == "stop":
                return
            try:
                conn.send(("ok", answer(model, message)))
            except Exception:  # sent back and raised in the parent, with this traceback
                conn.send(("error", traceback.format_exc()))


def answer(model, message: tuple):
    """``("forward", params, training, args)`` -> the output; ``("loss", params, training,
    args, eps)`` -> the model's own loss on its part with that noise; ``("backward", dy)`` ->
    ``(dx, grads)`` (``dy`` None after ``loss``)."""
    if message[0] in ("forward", "loss"):
        params, training, args = message[1:4]
        mine = model.params
        for name, value in params.items():
            mine[name][...] = value  # the parent's current weights, in this copy's arrays
        if training != model.training:
            model.train() if training else model.eval()
        if message[0] == "loss":
            return model.loss(*args, eps=message[4])
        return model.forward(*args)
    if message[0] == "backward":
        return model.backward(message[1]), model.grads
    raise ValueError(f"unknown message {message[0]!r}")


class SplitProcesses(Split):
    """``model`` trained on ``processes`` parts of each batch at once: part 0 in this
    process, the others in worker processes (see the module docstring).

    Parameters
    ----------
    model : Container
        An ``AutoEncoder``, ``Sequential``, ``Fused(model)`` or other container with
        ``forward`` / ``backward`` trained with a loss function, or a VAE (its own loss).
    processes : int
        How many parts: this process and ``processes - 1`` workers (one per core is best).

    Attributes
    ----------
    model : the model itself (untouched but for its parameters, which training updates):
        evaluate, save and plot this one.
    params : ``model.params``.
    grads : the sum of the parts' gradients after ``backward``.
    """

    def __init__(self, model, processes: int = 2) -> None:
        from minae.vae.model import VAE  # a model kind this engine knows: imported where used

        own_loss = isinstance(model, VAE)
        if callable(getattr(model, "loss", None)) and not own_loss:
            raise TypeError(f"SplitProcesses: {type(model).__name__} computes its own loss, "
                            "which may not be a mean over its samples (a penalty on the "
                            "batch's mean activation is not); only the VAEs' own loss is "
                            "split. Train it without SplitProcesses")
        check_splittable(model, processes, "SplitProcesses", "processes", own_loss)
        self.model = model
        self.local = replica(model, skip_input_grad=not own_loss)
        self._own = own_loss
        if own_loss:  # fit then trains this as a model that computes its own loss
            self.loss = self._own_loss
        self._weights: list[float] = []  # n_k / N of each part, after _own_loss
        self.processes = processes
        self._workers: list[tuple] = []  # (process, connection), started at the first forward
        self._waiting: list[bool] = []  # a reply is owed by that worker
        self._init_split(processes, "processes")

    def train(self) -> SplitProcesses:
        self.model.train()
        self.local.train()
        return self

    def eval(self) -> SplitProcesses:
        self.model.eval()
        self.local.eval()
        return self

    # -- the workers -----------------------------------------------------------------------
    def _start(self) -> None:
        """Start ``processes - 1`` workers, each with a pickled copy of the model."""
        try:
            model_bytes = pickle.dumps(replica(self.model, skip_input_grad=not self._own))
        except Exception as e:
            raise TypeError(f"SplitProcesses: the model cannot be sent to a worker process "
                            f"({type(e).__name__}: {e}); layers defined in a notebook or "
                            "inside a function cannot be pickled: define them in a .py file, "
                            "or train with SplitBatch") from e
        context = multiprocessing.get_context("spawn")
        for k in range(1, self.processes):
            mine, theirs = context.Pipe()
            # the model goes through the pipe, not as an argument of the process: a child that
            # dies while starting would leave start() blocked writing a large argument
            process = context.Process(target=serve, args=(theirs,), daemon=True,
                                      name=f"minae-SplitProcesses-{k}")
            # started with Ctrl-C ignored, so a Ctrl-C while the worker's Python starts up
            # (before serve runs) cannot stop it with a traceback: the child inherits it
            main = threading.current_thread() is threading.main_thread()  # signals: there only
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                process.start()
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            theirs.close()
            self._workers.append((process, mine))
            self._waiting.append(True)  # its first word: "ready", or why it could not load
        try:
            for k, (_, conn) in enumerate(self._workers):
                try:
                    conn.send_bytes(model_bytes)
                except OSError as e:
                    raise self._stopped(k, "starting") from e
            for k in range(len(self._workers)):
                self._receive(k, during="starting")
        except (RuntimeError, TypeError):
            self.close()
            raise

    def _send(self, k: int, message: tuple) -> None:
        if self._waiting[k]:  # an earlier call stopped before reading this worker's reply
            self._receive(k, raise_error=False)
        try:
            self._workers[k][1].send(message)
        except OSError as e:  # the pipe is broken: the worker is gone
            raise self._stopped(k) from e
        self._waiting[k] = True

    def _stopped(self, k: int, during: str = "training") -> RuntimeError:
        process = self._workers[k][0]
        process.join(timeout=1)
        why = ("a script that trains with SplitProcesses must start its work under "
               "`if __name__ == \"__main__\":` (a worker imports the script; see its error "
               "above)" if during == "starting" else
               "out of memory, or killed? close() it and train again, or train with SplitBatch")
        return RuntimeError(f"SplitProcesses: worker process {k + 1} stopped (exit code "
                            f"{process.exitcode}) while {during}; {why}")

    def _receive(self, k: int, raise_error: bool = True, during: str = "training"):
        process, conn = self._workers[k]
        try:
            while not conn.poll(POLL_SECONDS):
                if not process.is_alive():
                    raise self._stopped(k, during)
            status, value = conn.recv()
        except (EOFError, OSError) as e:
            raise self._stopped(k, during) from e
        finally:
            self._waiting[k] = False
        if status == "error" and during == "starting":
            raise TypeError(f"SplitProcesses: worker process {k + 1} could not load the model; "
                            "a layer class defined in a notebook or in a `python -c` command "
                            "cannot be imported by another process: define it in a .py file, "
                            f"or train with SplitBatch. Its error:\n{value}")
        if status == "error" and raise_error:
            raise RuntimeError(f"SplitProcesses: worker process {k + 1} failed:\n{value}")
        return value

    def close(self) -> None:
        """Stop the workers (they start again at the next forward pass)."""
        for process, conn in self._workers:
            try:
                conn.send(("stop",))
            except OSError:
                pass
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            conn.close()
        self._workers, self._waiting = [], []

    def __enter__(self) -> SplitProcesses:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_workers", None):
            try:
                self.close()
            except Exception:  # at interpreter exit: multiprocessing stops daemons itself
                pass

    # -- the split passes -----------------------------------------------------------------
    def _run(self, messages: list[tuple], here):
        """Send ``messages[w]`` to worker ``w``, run ``here()`` in this process meanwhile (BLAS
        at one thread); return ``[here's result, worker 0's reply, ...]``."""
        for w, message in enumerate(messages):
            self._send(w, message)
        with self._blas_limit():
            first = here()
        return [first] + [self._receive(w) for w in range(len(messages))]

    def _parts(self, x: np.ndarray, extra: tuple) -> list[tuple]:
        """The parts' arguments; the workers started and this process's copy up to date."""
        x = np.asarray(x)
        self._sizes = part_sizes(len(x), self.processes)
        if len(self._sizes) > 1 and not self._workers:
            self._start()
        mine, theirs = self.local.params, self.model.params
        for name, p in mine.items():  # shared arrays but for a model's own (the VAE's sigma)
            if p is not theirs[name]:
                p[...] = theirs[name]
        return split_rows((x, *extra), self._sizes)

    def _own_loss(self, x: np.ndarray, *extra):
        """A VAE's ``loss(x, *extra)`` (its value, or ``(value, parts)``), split.

        The VAE's loss is a mean over its images, so with part ``k`` of ``n_k`` images::

            loss = sum_k (n_k / N) * loss_k,      grads = sum_k (n_k / N) * grads_k

        The noise ``eps`` of the whole batch is drawn here from the model's own generator,
        as the whole model would draw it, and each part gets its rows: the split computes
        what the whole VAE computes, up to the order of additions.
        """
        parts = self._parts(x, extra)
        n = sum(self._sizes)
        eps = inputs.noise(self.model, None, None, (n, self.model.latent_dim))
        eps_parts = [e for (e,) in split_rows((eps,), self._sizes)]
        self._weights = [k / n for k in self._sizes]
        params = self.model.params
        results = self._run([("loss", params, self.training, part, e)
                             for part, e in zip(parts[1:], eps_parts[1:], strict=True)],
                            lambda: self.local.loss(*parts[0], eps=eps_parts[0]))

        def weighted(values) -> float:  # sum_k (n_k / N) * value_k
            return sum(c * v for c, v in zip(self._weights, values, strict=True))

        if not isinstance(results[0], tuple):
            return weighted(results)
        return (weighted(r[0] for r in results),
                {key: weighted(r[1][key] for r in results) for key in results[0][1]})

    def forward(self, x: np.ndarray, *extra) -> np.ndarray:
        """``y = [part_k.forward(x_k)]``, the parts as equal as ``len(x)`` allows.

        Shapes: ``x: (N, ...)`` (and each of ``extra``) -> the model's output ``(N, ...)``.
        """
        parts = self._parts(x, extra)
        self._weights = []
        params = self.model.params
        return np.concatenate(self._run([("forward", params, self.training, part)
                                         for part in parts[1:]],
                                        lambda: self.local.forward(*parts[0])))

    def backward(self, dy: np.ndarray | None = None) -> np.ndarray | None:
        """Each part's backward on its rows of ``dy``; ``grads`` becomes their sum.

        After ``loss`` (a VAE's own loss): ``backward()``, no ``dy``, and each part's
        gradients weighted by ``n_k / N`` (see ``_own_loss``).

        Returns ``dx`` joined, like the model's ``backward``, or ``None`` when the first layer
        skips it (a ``Conv2D``, or a fused first step: see ``minae.engine.parallel``).
        """
        n = sum(self._sizes)
        own = dy is None and bool(self._weights)
        if not self._sizes or (dy is None and not own) or (dy is not None and len(dy) != n):
            got = "no dy" if dy is None else f"dy with {len(dy)} rows"
            raise RuntimeError(f"SplitProcesses.backward: {got}, after a forward of {n} rows "
                               "(call forward, or loss for a VAE, first, on the same batch)")
        parts = [(None,)] * len(self._sizes) if own else split_rows((dy,), self._sizes)
        dx_here, *replies = self._run([("backward", part) for (part,) in parts[1:]],
                                      lambda: self.local.backward(parts[0][0]))
        weights = self._weights if own else [1.0] * len(self._sizes)
        total = {name: weights[0] * g for name, g in self.local.grads.items()}
        for c, (_, grads) in zip(weights[1:], replies, strict=True):
            for name, g in grads.items():
                total[name] += c * g
        self._grads = total
        if dx_here is None:
            return None
        dxs = [dx_here] + [dx for dx, _ in replies]
        return np.concatenate([c * d for c, d in zip(weights, dxs, strict=True)])

    def __repr__(self) -> str:
        return f"SplitProcesses({type(self.model).__name__}, processes={self.processes})"
