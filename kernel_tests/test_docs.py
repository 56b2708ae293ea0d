"""Every command output shown in README.md and docs/*.md is what the command prints now.

The blocks are the ones ``scripts/gen_docs.py`` generates (marked ``<!-- output ... -->``); a
difference means the docs drifted: rerun the script and review the diff.  What legitimately
varies between runs (timings, pids, addresses) is normalised as each block's marker says.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
gen_docs = importlib.util.module_from_spec(_spec)
sys.modules["gen_docs"] = gen_docs          # dataclasses look their module up there
_spec.loader.exec_module(gen_docs)

BLOCKS = [b for path in gen_docs.doc_files() for b in gen_docs.find_blocks(path)]


def test_the_docs_have_generated_blocks():
    assert len(BLOCKS) >= 10
    tutorial = (ROOT / "docs" / "tutorial.md").read_text().splitlines()
    # every block that shows a command in the tutorial is generated
    shown = [i for i, ln in enumerate(tutorial) if ln.startswith("$ ")]
    generated = {i for b in BLOCKS if b.path.name == "tutorial.md"
                 for i in range(b.first, b.last)}
    assert [i + 1 for i in shown if i not in generated] == []


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where} {b.commands[0][:40]}" for b in BLOCKS])
def test_block_matches_its_commands(block):
    if block.missing():
        pytest.skip(f"needs {', '.join(block.missing())}")
    fresh = gen_docs.generate(block)
    assert gen_docs.normalise(fresh, block.vary) == gen_docs.normalise(block.body, block.vary), (
        f"{block.where} drifted; run scripts/gen_docs.py and review the diff")


def test_normalise_hides_only_what_varies():
    vary = [r"\d+\.\d+ s"]
    assert gen_docs.normalise(["took 1.25 s, 3 runs  "], vary) == ["took …, 3 runs"]
    assert gen_docs.normalise(["3 runs"], vary) != gen_docs.normalise(["4 runs"], vary)
    assert gen_docs.normalise(["r1 = 0xffff888104892c00"], []) == ["r1 = …"]
    # padding after a varying number is layout; indentation (under a caret, say) is not
    assert gen_docs.normalise(["   9 a   b"], [r"^ *\d+"]) == gen_docs.normalise(["  10 a b"], [r"^ *\d+"])
    assert gen_docs.normalise(["    ^"], []) != gen_docs.normalise(["  ^"], [])
