"""Fine-tuning: start from a trained model and train only the layers nearest the output.

Stuardi et al. (2024) fine-tuned the Radio U-Net, trained on simulations, on a
few real LoTSS images with hand-made masks, keeping all layers frozen but the
top N of the expansive path; N = 10 layers, 100 epochs and a learning rate of
1e-4 worked best. ``radio-unet finetune`` (or ``TrainConfig(init_model=...,
trainable_layers=10)``) does that: :func:`radio_unet.train.train` copies the
weights of the saved model into the network, calls :func:`freeze_all_but_top`
and trains as usual (balanced tiles, flips and 90-degree rotations, validation
split by image).

What a "layer" is
-----------------
A layer is a module that holds weights, counted as Keras counts them: every
``Conv2d``, ``ConvTranspose2d`` and ``BatchNorm2d``. ReLUs, poolings, dropout
and the additions of the skip connections hold no weights and are not
counted. In the order in which the network applies them, a U-Net with
``depth`` poolings has ``9 depth + 5`` layers (41 for the paper's depth 4)::

    encoder level l = 0 .. depth       conv, bn, conv, bn              4 layers each
    decoder level l = depth-1 .. 0     up, conv, bn, conv, bn          5 layers each
    head                               1x1 conv                        1 layer

("up" is the stride-2 transposed convolution.) The top N layers are the last
N of this order, counted back from the output: N = 1 is the head; N = 6 adds
the whole full-resolution decoder level (``decoder.0``); N = 10, the paper's
choice, adds the convolution block of the next level (``decoder.1.conv``) but
not its transposed convolution (``decoder.1.up``), which N = 11 adds.

A frozen layer keeps its weights (``requires_grad=False``, left out of the
optimiser); a frozen batch normalisation also keeps the running statistics of
the parent model: it stays in evaluation mode during training
(:meth:`RadioUNetModule.train`) and the batch-norm recalibration before each
validation skips it (:func:`radio_unet.train.batchnorm.is_frozen_batchnorm`).
Trainable batch normalisations keep learning their statistics.
"""

from __future__ import annotations

from dataclasses import replace
from os import PathLike
from pathlib import Path

from torch import nn

from ..errors import RadioUNetError
from ..models.card import ModelCard, read_card
from ..models.registry import resolve_model
from ..models.serialize import load_model
from ..models.unet import RadioUNet, UNetConfig
from ..models.widen import widen

__all__ = [
    "PAPER_TRAINABLE_LAYERS",
    "weighted_layers",
    "weighted_layer_count",
    "freeze_all_but_top",
    "parent_card",
    "start_from_parent",
]

#: The paper's best number of trainable layers for fine-tuning.
PAPER_TRAINABLE_LAYERS = 10

_WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.modules.batchnorm._BatchNorm)


def weighted_layers(model: RadioUNet) -> list[tuple[str, nn.Module]]:
    """The layers with weights of a Radio U-Net, in the order the network applies them (output last).

    Returns
    -------
    list of (str, torch.nn.Module)
        ``(name, layer)`` with names as in ``model.named_modules()``
        (``encoder.0.0``, ..., ``decoder.0.up``, ``decoder.0.conv.4``, ``head``).
    """
    if not isinstance(model, RadioUNet):
        raise RadioUNetError(f"expected a RadioUNet, got {type(model).__name__}")
    names = {module: name for name, module in model.named_modules()}
    # decoder[i] brings level i+1 up to level i: the network applies them deepest first
    blocks = [*model.encoder, *reversed(list(model.decoder)), model.head]
    return [(names[m], m) for block in blocks for m in block.modules() if isinstance(m, _WEIGHTED)]


def weighted_layer_count(config: UNetConfig) -> int:
    """Number of layers with weights of the architecture (``9 depth + 5``)."""
    return 9 * int(config.depth) + 5


def freeze_all_but_top(model: RadioUNet, n_layers: int | None) -> list[str]:
    """Freeze every layer of ``model`` but the top ``n_layers`` (counted from the output).

    Parameters
    ----------
    model : RadioUNet
        The network, changed in place.
    n_layers : int or None
        Layers with weights left trainable (see the module docstring for what
        counts as a layer); None makes every layer trainable.

    Returns
    -------
    list of str
        Names of the trainable layers, in the order the network applies them.

    Notes
    -----
    Frozen layers get ``requires_grad=False``; frozen batch normalisations are
    put in evaluation mode, trainable ones follow the model's mode.
    """
    layers = weighted_layers(model)
    n = len(layers) if n_layers is None else int(n_layers)
    if not 1 <= n <= len(layers):
        raise RadioUNetError(
            f"trainable layers must be between 1 and {len(layers)} (the layers with weights of this depth-"
            f"{model.config.depth} U-Net), got {n_layers}"
        )
    first = len(layers) - n
    for i, (_, layer) in enumerate(layers):
        trainable = i >= first
        for p in layer.parameters(recurse=False):
            p.requires_grad_(trainable)
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.train(model.training and trainable)
    return [name for name, _ in layers[first:]]


def parent_card(init_model: str | PathLike) -> tuple[Path, ModelCard]:
    """The weights path and the card of a model to fine-tune: a shipped model name or a saved model's path.

    Only the card is read (see :func:`radio_unet.models.read_card`).
    """
    weights, _, card = read_card(resolve_model(init_model))
    return weights, card


def start_from_parent(model: RadioUNet, init_model: str | PathLike, trainable_layers: int | None) -> dict:
    """Load the weights of a saved model into ``model`` and freeze all but its top layers.

    Parameters
    ----------
    model : RadioUNet
        A network of the parent's architecture (changed in place), or of the
        parent's architecture with a larger ``base_filters``: the parent is
        then widened first (:func:`radio_unet.models.widen.widen`), so that
        ``model`` starts from the parent's outputs.
    init_model : str or path-like
        Shipped model name or saved model (folder, ``.safetensors`` or ``.json``);
        its sha256 is checked against its card.
    trainable_layers : int or None
        See :func:`freeze_all_but_top`.

    Returns
    -------
    dict
        What the model card records under ``training["finetuned_from"]``: the
        parent's path, sha256, architecture name and creation date, the number
        of trainable layers, their names and the trainable parameters.
    """
    path = resolve_model(init_model)
    parent, card = load_model(path)
    wider = model.config.base_filters > parent.config.base_filters
    new_head = model.config.n_classes != parent.config.n_classes
    if replace(parent.config, name="", base_filters=model.config.base_filters, n_classes=model.config.n_classes) != \
            replace(model.config, name="") or model.config.base_filters < parent.config.base_filters:
        raise RadioUNetError(f"{path}: its architecture {parent.config} differs from the network to fine-tune {model.config}")
    if wider:
        parent = widen(parent, model.config.base_filters)
    state = parent.state_dict()
    if new_head:  # other classes: every layer but the 1x1 output convolution starts from the parent
        state = {k: v for k, v in state.items() if not k.startswith("head.")}
        state.update({k: v for k, v in model.state_dict().items() if k.startswith("head.")})
    model.load_state_dict(state)
    trainable = freeze_all_but_top(model, trainable_layers)
    return {
        "model": str(path),
        "sha256": card.sha256,
        "architecture": card.architecture.name,
        **({"widened_from_base_filters": card.architecture.base_filters} if wider else {}),
        **({"new_head_classes": model.config.n_classes} if new_head else {}),
        "created": card.created,
        "trainable_layers": len(trainable),
        "frozen_layers": weighted_layer_count(model.config) - len(trainable),
        "trainable": trainable,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
