""""Show code": a run's RunConfig as a standalone plain sentence-transformers training script (numbered steps, no
lab imports). Each piece lives with what it describes: a recipe's data in its entry (`Recipe.script`), a loss in its
LossSpec, data loading in lab/sources.py, a pipeline's stages in its module (`SCRIPT`). This module adds the plumbing
(command line, model, training arguments, STS-B evaluator) and keeps only the imports and helpers a script uses.
"""

from __future__ import annotations

import re

from lab.config import RunConfig
from lab.host.paths import DATA_DIR, plain_model_dir
from lab.jobs.dispatch import PIPELINES, is_pipeline
from lab.losses import LOSSES
from lab.models import CATALOG
from lab.recipes import RECIPES
from lab.recipes.base import SCRIPT_LIMIT_ROWS
from lab.recipes.upload import file_columns
from lab.service.script_parts import FIT, IMPORTS, MINILM, TINY, dropout_code, packing_code, sampler_code, sampler_for
from lab.sources import SCRIPT_LOADERS


def _model_code(config: RunConfig) -> str:
    entry = CATALOG.get(config.model)
    kind = entry.kind if entry else "hub"
    if kind == "bundled":
        return "model = SentenceTransformer(MINILM)"
    if kind == "tiny":
        return "model = tiny_bert(SEED)"
    if kind == "plain":  # the lab's own pretrained plain BERT: fp16 on disk, trained in fp32, mean pooling added
        return ('word = Transformer(PLAIN_BERT, model_kwargs={"dtype": torch.float32})\n'
                '    model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])')
    if kind == "hub-plain":
        return (f'word = Transformer("{entry.hub_id}")  # a plain transformer: add mean pooling to get an embedder\n'
                '    model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])')
    return f'model = SentenceTransformer("{entry.hub_id if entry else config.model}")'


def _loss_lines(config: RunConfig) -> str:
    """The run's loss (from its LossSpec's `script`), Matryoshka-wrapped when the run asks."""
    lines = ["torch.manual_seed(SEED)  # the loss's own weights (a classifier, a decoder) start from the seed too",
             f"loss = {LOSSES[config.loss].script.format(**config.loss_params)}"]
    if config.matryoshka_dims:
        lines.append(f"loss = losses.MatryoshkaLoss(model, loss, matryoshka_dims={list(config.matryoshka_dims)})")
    elif config.group_by_length:
        lines.append("pack(loss)  # as the lab: on a CPU, each batch's texts embedded in length-sorted chunks")
    if config.group_by_length:
        lines.append("fast_dropout(model)  # as the lab: on a CPU, dropout masks drawn 16 bits at a time")
    return "\n    ".join(lines)


def _helpers(config: RunConfig) -> list[tuple[str, str]]:
    """(what a script writes when it uses the helper, its definition), in the order a script lists them."""
    recipe, spec = RECIPES[config.recipe], LOSSES[config.loss]
    data_arg = "" if not recipe.uses_upload else (
        '\n    parser.add_argument("--data", required=True, help="your training file (.csv, .tsv, .jsonl or .parquet) "'
        f'\n                        "with the columns {", ".join(file_columns(recipe.key))}")')
    pooling = config.pooling or spec.pooling  # the pooling the loss needs (TSDAE: cls), unless the run chose one
    split = config.eval_split
    return [
        *sampler_code().items(),
        ("pack(", packing_code()),
        ("fast_dropout(", dropout_code()),
        ("MINILM", MINILM),
        ("tiny_bert(", TINY),
        ("parse_args(", f'''\
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train {config.model} with the {config.loss} loss.")
    parser.add_argument("output_dir", nargs="?", default="output/{config.model.replace("/", "-")}-{config.loss}")
    parser.add_argument("--data-dir", help="a copy of the lab's assets/data folder (default: the lab's own folder "
                        "where this runs beside it, else the Hugging Face Hub)"){data_arg}
    args = parser.parse_args()
    args.data_dir = find_data_dir(args.data_dir)
    return args'''),
        *((f"{name}(", code) for name, code in SCRIPT_LOADERS.items()),
        ("limit_rows(", SCRIPT_LIMIT_ROWS),
        ("make_model(", f'''\
def make_model(pooling: str | None = {f'"{pooling}"' if pooling else None}) -> SentenceTransformer:
    """The run's base model ({config.model}), with `pooling` in place of its own pooling when given."""
    {_model_code(config)}
    if pooling:
        for idx, module in enumerate(model):
            if isinstance(module, Pooling):
                model._modules[str(idx)] = Pooling(module.embedding_dimension, pooling)
{"    model.max_seq_length = MAX_SEQ_LENGTH" + chr(10) if config.max_seq_length else ""}    return model'''),
        ("make_loss(", f'''\
def make_loss(model: SentenceTransformer, train_df: pd.DataFrame):
    """{spec.description}"""
    {_loss_lines(config)}
    return loss'''),
        ("training_args(", f'''\
def training_args(output_dir: str, batch_sampler: BatchSamplers = DEFAULT_SAMPLER,
                  eval_steps: int = 0) -> SentenceTransformerTrainingArguments:
    return SentenceTransformerTrainingArguments(
        output_dir=output_dir,
        num_train_epochs={config.epochs},
        per_device_train_batch_size={config.batch_size},
        learning_rate={config.lr},
        warmup_steps={config.warmup_ratio},  # a float < 1 is a ratio of the total steps
        seed=SEED, data_seed=SEED,
        fp16=torch.cuda.is_available(),
        batch_sampler=batch_sampler,
        eval_strategy="steps" if eval_steps else "no", eval_steps=eval_steps or None,
        logging_steps={config.logging_steps},
        save_strategy="no", report_to="none",
    )'''),
        ("fit(", FIT),
        ("sts_evaluator(", f'''\
def sts_evaluator(args: argparse.Namespace, max_pairs: int | None = None) -> EmbeddingSimilarityEvaluator:
    """STS-B {split} (a fixed random `max_pairs` of it when given), gold scores 0–5 scaled to 0–1."""
    stsb = load_stsb(args, "{split}")
    if max_pairs and max_pairs < len(stsb):
        stsb = stsb.sample(n=max_pairs, random_state=0).sort_index()
    return EmbeddingSimilarityEvaluator(
        stsb["sentence1"].astype(str).tolist(), stsb["sentence2"].astype(str).tolist(), (stsb["score"] / 5.0).tolist(),
        batch_size=64, name="sts-{split}", similarity_fn_names=["cosine", "euclidean", "manhattan", "dot"],
        show_progress_bar=False,
    )'''),
    ]


def _plain_main(config: RunConfig) -> str:
    """main() of a plain run: one training, STS-B before and after."""
    eval_steps = f", eval_steps={config.eval_steps}" if config.eval_steps else ""
    curve = (f"sts_evaluator(args, {config.eval_max_pairs})  # the live curve's {config.eval_max_pairs} pairs"
             if config.eval_max_pairs else "evaluator")
    return f'''\
def main() -> None:
    args = parse_args()

    # 1. Model
    model = make_model()

    # 2. Training data: text columns reach the loss by position; "label"/"score" is the target.
    train_df = load_train_rows(args)
    train_dataset = Dataset.from_pandas(train_df, preserve_index=False)
    print(train_dataset)

    # 3. Loss: {LOSSES[config.loss].description}
    {_loss_lines(config)}

    # 4. Evaluator: STS-B {config.eval_split}, gold scores 0–5 scaled to 0–1, all pairs (the before/after table)
    evaluator = sts_evaluator(args)
{"    curve_evaluator = " + curve + chr(10) if config.eval_steps else ""}
    # 5. Evaluate the model before training
    print("before:", evaluator(model))

    # 6. Training arguments
    train_args = training_args(args.output_dir{eval_steps})

    # 7. Train
    trainer = SentenceTransformerTrainer(model=model, args=train_args, train_dataset=train_dataset, loss=loss,
                                         evaluator={"curve_evaluator" if config.eval_steps else "None"})
    trainer.train()

    # 8. Evaluate after training, then save
    print("after:", evaluator(model))
    model.save(f"{{args.output_dir}}/final")
    print("saved to", f"{{args.output_dir}}/final")
'''


def _pipeline_script(recipe: str) -> str:
    # The module of the pipeline that lab/jobs/dispatch.py runs for the recipe carries the stages' template.
    return PIPELINES[recipe].SCRIPT


def can_script(config: RunConfig) -> bool:
    """Whether "Show code" covers the run: its recipe (and pipeline) and its loss have their templates."""
    main = _pipeline_script(config.recipe) if is_pipeline(config.recipe) else "plain"
    return bool(RECIPES[config.recipe].script and main and LOSSES[config.loss].script)


def training_script(config: RunConfig, run_id: str = "") -> str:
    """A standalone script that trains the same model the lab run trains (same data, loss, settings)."""
    if not can_script(config):
        raise KeyError(f"'Show code' does not cover recipe '{config.recipe}' with loss '{config.loss}'.")
    samplers, code = _code(config)
    constants = [c for c in _constants(config) if re.search(rf"\b{c.split(' = ')[0]}\b", code)]
    imports = _keep_used(IMPORTS.splitlines(), samplers + code + "\n".join(constants))
    # The samplers come before the constants that name them.
    head = "\n".join(imports) + ("\n\n\n" + samplers if samplers else "") + "\n\n" + "\n".join(constants)
    return _docstring(config, run_id) + "\n\n" + head + "\n\n\n" + code


def _code(config: RunConfig) -> tuple[str, str]:
    """(the batch samplers it uses, the rest): load_train_rows (the recipe's body, then the limit), main (plain or
    the pipeline's), the helpers they call."""
    recipe = RECIPES[config.recipe]
    fields = {**config.recipe_params, "config": config}
    body = recipe.script.format(**fields)
    if not re.search(r"\blimit_rows\(", body):  # a body that works after the limit (mining) applies it itself
        body += "\n    rows = limit_rows(rows, MAX_TRAIN_SAMPLES)"
    rows = f'''\
def load_train_rows(args: argparse.Namespace) -> pd.DataFrame:
    """The run's training rows (recipe {config.recipe}), in the column order the loss reads."""
{body}
    return rows[[{", ".join(f'"{c}"' for c in recipe.format.columns)}]]'''
    main = _pipeline_script(config.recipe).format(**fields) if is_pipeline(config.recipe) else _plain_main(config)
    defs, used, kept = _helpers(config), rows + main, set()
    constants = {c.split(" = ")[0]: c for c in _constants(config)}
    while new := [n for n, c in defs if n not in kept and re.search(r"\b" + re.escape(n), used)] or [
            n for n in constants if n not in kept and re.search(rf"\b{n}\b", used)]:
        kept.update(new)  # and what those call or name in turn
        used += "".join(c for n, c in defs if n in new) + "".join(constants.get(n, "") for n in new)
    samplers = [c for n, c in defs if n in kept and n in sampler_code()]
    parts = [*(c for n, c in defs if n in kept and n not in sampler_code()), rows, main.rstrip(),
             'if __name__ == "__main__":\n    main()\n']
    return "\n\n\n".join(samplers), "\n\n\n".join(parts)


def _constants(config: RunConfig) -> list[str]:
    no_duplicates = LOSSES[config.loss].batch_sampler == "no_duplicates"
    return [
        f"SEED = {config.seed}",
        f"MAX_TRAIN_SAMPLES = {config.max_train_samples}  # the run's max_train_samples (None: every row)",
        f"MAX_SEQ_LENGTH = {config.max_seq_length}  # the run's max_seq_length (None: the model's own)",
        f'PLAIN_BERT = "{plain_model_dir()}"  # the plain BERT the lab pretrained (scripts/pretrain/)',
        f'LAB_DATA_DIR = "{DATA_DIR}"  # the lab\'s parquet copies of public datasets, where this was generated',
        f"USE_HUB = {config.data_source == 'hub'}  # True: NLI is MNLI train from the Hub, even beside the lab's data",
        f"DEFAULT_SAMPLER = {sampler_for(config, config.loss)}"
        + ("  # in-batch negatives: no duplicate texts in a batch" if no_duplicates else ""),
        f"TSDAE_SAMPLER = {sampler_for(config, 'tsdae')}",
        f"PACK = {config.group_by_length}  # as the lab on a CPU: texts in length-sorted chunks, fast dropout",
    ]


def _docstring(config: RunConfig, run_id: str) -> str:
    recipe = RECIPES[config.recipe]
    title = f" from run {run_id}" if run_id else ""
    upload = "" if not recipe.uses_upload else (
        f"\nYour data: --data PATH, a .csv, .tsv, .jsonl or .parquet file that already has the columns "
        f"{', '.join(file_columns(recipe.key))}\n(the lab mapped your upload onto them).")
    return f'''\
"""Train a sentence embedding model with sentence-transformers — generated by Contrastive Lab{title}.

Model {config.model} · data recipe {config.recipe} ({recipe.format_key}) · loss {config.loss}.
{recipe.description}
Data: the lab's parquet copies of public datasets (its assets/data folder) where this runs beside the lab, or a copy
given with --data-dir; without them NLI and STS-B come from the Hugging Face Hub (the lab's MedQuAD files have no
Hub copy).{upload}
Run it with: python train_script.py [output_dir] [--data-dir FOLDER]{" --data PATH" if recipe.uses_upload else ""}
"""'''


def _keep_used(imports: list[str], code: str) -> list[str]:
    """The import lines, with only the names `code` uses (the script stays lint-clean)."""
    out = []
    for line in imports:
        if match := re.match(r"((?:from \S+ )?import )(.+)$", line):
            names = [n for n in match.group(2).split(", ") if re.search(rf"\b{n.split(' as ')[-1]}\b", code)]
            if not names:
                continue
            line = match.group(1) + ", ".join(names)
        out.append(line)
    return out
