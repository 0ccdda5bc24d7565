"""``radio-unet finetune``: fine-tune a trained model on a few real images with masks."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]

_EPILOG = """\
Fine-tuning is training that starts from a trained model with every layer frozen
but the top N layers with weights (convolutions, transposed convolutions, batch
normalisations), counted back from the output (Stuardi et al. 2024: N = 10, 100
epochs, lr 1e-4). Frozen layers keep the model's weights and batch-norm
statistics. Tiles are balanced (as many empty as non-empty tiles), flipped and
rotated by multiples of 90 degrees, and the validation images are held out
whole (--val-fraction). The architecture and, unless --vmin/--vmax are given,
the normalisation come from the model; the new model card records the parent
model (path and sha256) and the trainable layers. Every option of
'radio-unet train' applies, and --config FILE.yaml works as there.

example:
  radio-unet mask real/*.fits -o real/masks/     # 5-sigma label masks, if you have none
  radio-unet finetune --model default --data real/ --image-glob '*.fits' \\
      --mask-glob 'masks/*.mask.fits' --out runs/finetuned --tile 128
  radio-unet segment new.fits --model runs/finetuned -o segmented/
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``finetune``: those of ``train``, with ``--model`` naming the model to start from."""
    from ..train import add_train_arguments

    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_train_arguments(parser, finetune=True)


def run(args: argparse.Namespace) -> int:
    """Fine-tune and report where the model went."""
    from ..errors import RadioUNetError
    from ..train import FINETUNE_DEFAULTS, config_from_args, train

    if args.init_model is None and args.config is None:
        raise RadioUNetError("no model to fine-tune: give --model NAME|PATH (a shipped model name or a trained model)")
    result = train(config_from_args(args, defaults=FINETUNE_DEFAULTS))
    parent = (result.card.training.get("finetuned_from") or {}) if result.card else {}
    if parent:
        print(f"fine-tuned {parent['model']} (top {parent['trainable_layers']} layers, "
              f"{parent['trainable_parameters']:,} of {parent['parameters']:,} parameters trained)")
    print(f"model: {result.model_path}")
    return 0
