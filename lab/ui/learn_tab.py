"""The Learn tab: short, accurate explanations with simple inline pictures: bi- vs cross-encoder, contrastive
learning, what each loss takes and optimises (the table comes from the loss registry, through service), how to
read the charts.
"""

from __future__ import annotations

import gradio as gr

from lab import service

_BOX = 'rx="8" fill="#eef2ff" stroke="#6366f1"'
_TXT = 'font-family="sans-serif" font-size="13" text-anchor="middle" fill="#1e1b4b"'

ENCODERS_SVG = f"""
<svg viewBox="0 0 760 230" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="bi-encoder vs cross-encoder">
  <defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">
    <path d="M0,0 L8,4 L0,8 z" fill="#6366f1"/></marker></defs>
  <text x="180" y="18" {_TXT} font-weight="bold">Bi-encoder (what this lab trains)</text>
  <rect x="30" y="190" width="120" height="28" {_BOX}/><text x="90" y="209" {_TXT}>sentence A</text>
  <rect x="210" y="190" width="120" height="28" {_BOX}/><text x="270" y="209" {_TXT}>sentence B</text>
  <rect x="30" y="120" width="120" height="40" {_BOX}/><text x="90" y="145" {_TXT}>encoder</text>
  <rect x="210" y="120" width="120" height="40" {_BOX}/><text x="270" y="145" {_TXT}>encoder (same)</text>
  <rect x="45" y="62" width="90" height="26" {_BOX}/><text x="90" y="80" {_TXT}>vector u</text>
  <rect x="225" y="62" width="90" height="26" {_BOX}/><text x="270" y="80" {_TXT}>vector v</text>
  <text x="180" y="45" {_TXT}>cos(u, v) → similarity</text>
  <line x1="90" y1="190" x2="90" y2="162" stroke="#6366f1" marker-end="url(#a)"/>
  <line x1="270" y1="190" x2="270" y2="162" stroke="#6366f1" marker-end="url(#a)"/>
  <line x1="90" y1="120" x2="90" y2="90" stroke="#6366f1" marker-end="url(#a)"/>
  <line x1="270" y1="120" x2="270" y2="90" stroke="#6366f1" marker-end="url(#a)"/>
  <line x1="135" y1="70" x2="170" y2="52" stroke="#6366f1"/><line x1="225" y1="70" x2="190" y2="52" stroke="#6366f1"/>
  <line x1="380" y1="10" x2="380" y2="220" stroke="#cbd5e1" stroke-dasharray="4 4"/>
  <text x="570" y="18" {_TXT} font-weight="bold">Cross-encoder</text>
  <rect x="470" y="190" width="200" height="28" {_BOX}/><text x="570" y="209" {_TXT}>[CLS] A [SEP] B</text>
  <rect x="480" y="120" width="180" height="40" {_BOX}/><text x="570" y="145" {_TXT}>encoder (reads both)</text>
  <rect x="510" y="62" width="120" height="26" {_BOX}/><text x="570" y="80" {_TXT}>score</text>
  <line x1="570" y1="190" x2="570" y2="162" stroke="#6366f1" marker-end="url(#a)"/>
  <line x1="570" y1="120" x2="570" y2="90" stroke="#6366f1" marker-end="url(#a)"/>
</svg>"""

CONTRAST_SVG = """
<svg viewBox="0 0 760 200" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="contrastive learning">
  <defs><marker id="p" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">
    <path d="M0,0 L8,4 L0,8 z" fill="#16a34a"/></marker>
    <marker id="n" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">
    <path d="M0,0 L8,4 L0,8 z" fill="#dc2626"/></marker></defs>
  <g font-family="sans-serif" font-size="13">
  <text x="150" y="20" text-anchor="middle" font-weight="bold">before training</text>
  <circle cx="150" cy="110" r="9" fill="#6366f1"/><text x="150" y="138" text-anchor="middle">anchor</text>
  <circle cx="60" cy="60" r="9" fill="#16a34a"/><text x="60" y="45" text-anchor="middle">positive</text>
  <circle cx="215" cy="80" r="9" fill="#dc2626"/><text x="215" y="65" text-anchor="middle">negative</text>
  <circle cx="90" cy="170" r="7" fill="#f59e0b"/><circle cx="230" cy="160" r="7" fill="#f59e0b"/>
  <text x="160" y="192" text-anchor="middle" fill="#92400e">other rows of the batch (in-batch negatives)</text>
  <line x1="75" y1="68" x2="138" y2="103" stroke="#16a34a" stroke-width="2" marker-end="url(#p)"/>
  <line x1="163" y1="104" x2="200" y2="88" stroke="#dc2626" stroke-width="2" marker-start="url(#n)"/>
  <text x="380" y="110" text-anchor="middle" font-size="28">→</text>
  <text x="600" y="20" text-anchor="middle" font-weight="bold">after training</text>
  <circle cx="580" cy="110" r="9" fill="#6366f1"/><text x="580" y="138" text-anchor="middle">anchor</text>
  <circle cx="610" cy="95" r="9" fill="#16a34a"/><text x="640" y="82" text-anchor="middle">positive</text>
  <circle cx="720" cy="50" r="9" fill="#dc2626"/><text x="720" y="35" text-anchor="middle">negative</text>
  <circle cx="470" cy="170" r="7" fill="#f59e0b"/><circle cx="730" cy="175" r="7" fill="#f59e0b"/>
  </g>
</svg>"""

INTRO = """
## What is a text embedding model?
It maps a sentence to a vector (e.g. 384 numbers) so that sentences with similar meaning get vectors that
point in similar directions. Similarity is usually the **cosine** of the angle between two vectors.
"""

ENCODERS = """
## Bi-encoder vs cross-encoder
- **Bi-encoder** (sentence-transformers `SentenceTransformer`): each sentence goes through the encoder *on its
  own*; a pooling layer (mean or CLS) turns token vectors into one sentence vector. Vectors can be computed once
  and stored, so comparing a query with a million documents is one matrix product. This lab trains bi-encoders.
- **Cross-encoder** (`CrossEncoder`): both sentences go through the encoder *together*, so attention can compare
  their words directly, and it outputs one score. Usually more accurate, but there is no reusable vector:
  every pair costs a forward pass. Typical use: rerank the top hits a bi-encoder found.
"""

CONTRAST = """
## What contrastive learning does
Training shows the model examples of what should be **close** (an anchor and its positive: a paraphrase, an
entailed sentence) and what should be **far** (a negative). The loss pulls positives towards the anchor and
pushes negatives away. With **in-batch negatives** (MNRL) every *other* row's positive in the batch also
serves as a negative for free, so a bigger batch means more, and harder, negatives.
The data format decides which losses can be used: the lab shows only the losses that fit the chosen recipe.
"""

CHARTS = """
## How to read the charts
- **Training loss** (Train tab): should trend down; with small batches it is noisy from step to step. Its value
  depends on the loss: MNRL starts near ln(number of candidates) (e.g. ≈ 3.5 for 16 triplets = 32 candidates)
  for a random model, and much lower for a pretrained embedder. Never compare loss values *across* losses.
  A loss that jumps up or becomes NaN means the learning rate is too high.
- **STS-B spearman** (eval events): the rank correlation between the model's cosine similarities and human
  similarity scores on held-out STS-B pairs; 1.0 = same order as the humans. It is the standard headline number.
  With only a few hundred pairs, differences of ±0.01–0.02 are noise.
- **Before/after table**: pearson (linear agreement) and spearman (rank agreement) for four similarity
  functions. For normalised embeddings cosine, dot and euclidean give the same ranking.
- **What to expect**: `all-MiniLM-L6-v2` was already trained on over a billion sentence pairs (NLI included),
  so a short fine-tune on NLI moves its STS-B score only a little, up or down. `tiny-bert` starts from
  random weights: its loss falls clearly, but it needs far more data and steps than a CPU demo gives before
  STS-B improves much. This is the chapter's point: pretraining matters.
- **UMAP maps** (Explore tab): show neighbourhoods, not distances. Cluster sizes and the gaps between clusters
  mean little, and maps of two models can be rotated or mirrored. Look at *which* points are grouped: do sentences
  with the same intent (Banking77) or high pair scores (STS-B) land together after training?
"""


def losses_table() -> str:
    """The losses as the registry describes them (a new loss appears here with no change to this tab)."""
    rows = ["| loss | takes (columns, in order) | what it optimises |", "|---|---|---|"]
    for r in service.loss_rows():
        knobs = f" Knobs: {r['knobs']}." if r["knobs"] else ""
        what = r["what"].replace("|", "\\|")  # a bare | would end the table cell
        rows.append(f"| **{r['loss']}** | {r['takes']} | {what}{knobs} |")
    rows.append("| *Matryoshka* (wrapper) | same as the wrapped loss | The wrapped loss is also applied to the first "
                "d dimensions (e.g. 128, 64), so embeddings can be truncated later with little loss in quality. |")
    return "## The losses\n" + "\n".join(rows)


def build() -> None:
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown(INTRO + ENCODERS)
        with gr.Column(scale=1):
            gr.HTML(ENCODERS_SVG, elem_classes="lab-svg")
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown(CONTRAST)
        with gr.Column(scale=1):
            gr.HTML(CONTRAST_SVG, elem_classes="lab-svg")
    gr.Markdown(losses_table())
    gr.Markdown(CHARTS)
    gr.Markdown(views_text(), elem_id="learn-views")


def views_text() -> str:
    """The teaching views as their own modules explain them (a new view appears here with no change to this tab)."""
    return "## The teaching views (Train tab, under the charts)\n" + "\n".join(
        f"- **{title}**: {text}" for title, text in service.learn_views())
