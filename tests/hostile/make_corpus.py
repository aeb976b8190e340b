"""Writes the committed part of the hostile corpus: `corpus/tasks/` and `corpus/programs/`.

Run `python tests/hostile/make_corpus.py` after editing the tables; the files are committed, so
the tests do not depend on running it. Large inputs (100,000-deep nesting, a million-element
list, files over the size cap, FIFOs, symlink loops) are made at test time instead
(`test_hostile_cli.py`), so the repository stays small.

Each task file is named for what it attacks; `EXPECT` in the test says which ones must be
refused with exit code 2 (a clear error), the others are valid and run (exit 0 or 1).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent / "corpus"


def task(name: object = "t", inp: object = "list-of-int", out: object = "int",
         examples: object = None) -> dict:
    if examples is None:
        examples = [{"i": [1, 2], "o": 3}, {"i": [], "o": 0}]
    return {"name": name, "type": {"input": inp, "output": out}, "examples": examples}


def one(**kw: object) -> str:
    return json.dumps([task(**kw)])  # type: ignore[arg-type]


GOOD = task()

#: file name -> file text (str) or bytes; every one of these must be refused (exit code 2)
REFUSED: dict[str, str | bytes] = {
    # malformed JSON
    "empty.json": "",
    "whitespace.json": " \n\t \n",
    "truncated.json": '[{"name": "a", "type": {"input": "int"',
    "trailing_comma.json": json.dumps([GOOD])[:-1] + ",]",
    "single_quotes.json": "[{'name': 'a'}]",
    "comment.json": "// tasks\n" + json.dumps([GOOD]),
    "not_json.txt": "hello, I am not a task file\n",
    "bom.json": "\ufeff" + json.dumps([GOOD]),
    "nan_output.json": one(inp="int", out="int", examples=[{"i": 1, "o": float("nan")}]),
    "infinity_input.json": json.dumps([task(inp="int", out="int")]).replace(
        '"i": [1, 2]', '"i": Infinity'),
    "unclosed_string.json": '[{"name": "abc',
    "lone_bracket.json": "]",
    "garbage_bytes_ascii.json": "\x00\x01\x02\x03",
    # wrong top level
    "top_object.json": "{}",
    "top_string.json": '"tasks"',
    "top_null.json": "null",
    "top_number.json": "42",
    "top_true.json": "true",
    # wrong task fields
    "task_is_list.json": "[[1, 2]]",
    "task_is_string.json": '["sum"]',
    "name_missing.json": json.dumps([{k: v for k, v in GOOD.items() if k != "name"}]),
    "name_number.json": one(name=7),
    "name_null.json": one(name=None),
    "name_empty.json": one(name=""),
    "name_list.json": one(name=["a"]),
    "type_missing.json": json.dumps([{k: v for k, v in GOOD.items() if k != "type"}]),
    "type_string.json": json.dumps([dict(GOOD, type="list-of-int -> int")]),
    "type_no_input.json": json.dumps([dict(GOOD, type={"output": "int"})]),
    "type_output_number.json": one(out=3),
    "type_input_empty_list.json": one(inp=[]),
    "type_input_object.json": one(inp={"a": 1}),
    "type_unknown_name.json": one(inp="str"),
    "type_dangling_list.json": one(inp="list-of-"),
    "type_arrow_text.json": one(inp="int -> int"),
    "type_parens.json": one(inp="((((((((int))))))))"),
    "type_core_syntax.json": one(inp="list(int)"),
    "type_sql.json": one(inp="int'; DROP TABLE tasks; --"),
    "type_deep_42.json": one(inp="list-of-" * 42 + "int"),
    "examples_missing.json": json.dumps([{k: v for k, v in GOOD.items() if k != "examples"}]),
    "examples_empty.json": one(examples=[]),
    "examples_object.json": one(examples={"i": 1, "o": 2}),
    "example_not_object.json": one(examples=[[1, 2]]),
    "example_missing_o.json": one(examples=[{"i": [1]}]),
    "example_missing_i.json": one(examples=[{"o": 1}]),
    "example_string_for_int.json": one(examples=[{"i": [1], "o": "1"}]),
    "example_bool_for_int.json": one(examples=[{"i": [1], "o": True}]),
    "example_float_for_int.json": one(examples=[{"i": [1], "o": 1.5}]),
    "example_null_output.json": one(examples=[{"i": [1], "o": None}]),
    "example_int_for_list.json": one(examples=[{"i": 1, "o": 1}]),
    "example_nested_wrong.json": one(inp="list-of-list-of-int",
                                     examples=[{"i": [[1], 2], "o": 1}]),
    "several_inputs_wrong_arity.json": one(inp=["int", "int"], out="int",
                                           examples=[{"i": [1], "o": 1}]),
    "several_inputs_not_list.json": one(inp=["int", "int"], out="int",
                                        examples=[{"i": 1, "o": 1}]),
    "duplicate_names.json": json.dumps([GOOD, GOOD]),
    # numbers and sizes
    "int_5000_digits.json": one(inp="int", out="int", examples=[{"i": 1, "o": 0}]).replace(
        '"o": 0', '"o": ' + "9" * 5000),
    "int_out_of_range.json": one(inp="int", out="int", examples=[{"i": 2**70, "o": 1}]),
    "deep_value_40.json": one(inp="list-of-int", out="int",
                              examples=[{"i": 1, "o": 1}]).replace('"i": 1', '"i": ' + "[" * 40
                                                                   + "]" * 40),
    "name_10k_chars.json": one(name="n" * 10_000),
    # names that are not valid Unicode
    "name_lone_surrogate.json": one(name="bad\ud800name"),
    "name_lone_low_surrogate.json": one(name="\udfff"),
    # not UTF-8
    "latin1.json": json.dumps([task(name="caf\u00e9")], ensure_ascii=False).encode("latin-1"),
    "invalid_utf8.json": b'[{"name": "\xff\xfe", "type": {"input": "int", "output": "int"}}]',
    "utf16.json": one().encode("utf-16"),
    "binary_zeros.json": b"\x00" * 64,
}

#: valid files whose names, sizes or requests are hostile: they load and run (exit 0 or 1)
ACCEPTED: dict[str, str | bytes] = {
    "name_rich_markup.json": one(name="[/bold]"),
    "name_rich_markup_link.json": one(name="[red]x[/red][link=file:///etc/passwd]y[/link]"),
    "name_rich_escape.json": one(name="\\[bold]not bold\\"),
    "name_ansi_color.json": one(name="\x1b[31mred\x1b[0m"),
    "name_ansi_clear.json": one(name="\x1b[2J\x1b[H"),
    "name_osc_title.json": one(name="\x1b]0;pwned\x07"),
    "name_bidi_override.json": one(name="abc\u202edcba"),
    "name_nul_byte.json": one(name="a\x00b"),
    "name_newlines.json": one(name="line1\nline2\r\nline3"),
    "name_c1_control.json": one(name="a\x9bb"),
    "name_zero_width.json": one(name="a\u200bb\ufeffc"),
    "name_emoji.json": one(name="\U0001f469\u200d\U0001f4bb sum"),
    "name_cjk.json": one(name="\u548c"),
    "name_backspaces.json": one(name="safe\b\b\b\bEVIL"),
    "name_rich_emoji_code.json": one(name=":thumbs_up: :warning:"),
    # requests whose program space is finite, or whose search meets slow programs
    "finite_request.json": one(inp="int", out="list-of-list-of-list-of-list-of-int",
                               examples=[{"i": 1, "o": [[[[1]]]]}, {"i": 2, "o": []}]),
    "finite_request_empty.json": one(inp="int", out="list-of-list-of-list-of-list-of-int",
                                     examples=[{"i": 1, "o": []}]),
    "bool_is_not_int.json": one(inp="int", out="bool",
                                examples=[{"i": 1, "o": True}, {"i": 0, "o": False},
                                          {"i": 7, "o": True}]),
    "unsolvable_big_ints.json": one(inp="int", out="int",
                                    examples=[{"i": k, "o": (k * 7919 + 104729) ** 3 % 2**61}
                                              for k in range(6)]),
    "repeat_heavy.json": one(inp="int", out="list-of-int",
                             examples=[{"i": k, "o": list(range(k * 3, -1, -2))}
                                       for k in range(1, 6)]),
    "deep_value_12.json": one(inp="list-of-" * 11 + "int", out="int",
                              examples=[{"i": json.loads("[" * 11 + "]" * 11), "o": 0}]),
    "several_inputs.json": one(inp=["int", "list-of-int"], out="list-of-int",
                               examples=[{"i": [1, [1, 2]], "o": [2, 3]},
                                         {"i": [2, []], "o": []}]),
    "empty_list_of_tasks.json": "[]",
    "extra_fields.json": json.dumps([dict(GOOD, extra={"x": [1, 2]}, i=3)]),
}

#: program texts (as bytes when they are not UTF-8); each runs through `hylo solve --program`
PROGRAMS: dict[str, str | bytes] = {
    "empty.txt": "",
    "spaces.txt": "   \n ",
    "unknown_name.txt": "(lam (frobnicate $0))",
    "unbound_variable.txt": "(lam $3)",
    "negative_variable.txt": "(lam $-1)",
    "variable_name.txt": "(lam $x)",
    "ill_typed_bool.txt": "(lam (+ (car $0) (empty? $0)))",
    "ill_typed_arity.txt": "(lam (map $0))",
    "ill_typed_result.txt": "(lam $0)",
    "ill_typed_lambda.txt": "(lam (lam $0))",
    "unbalanced_open.txt": "(lam (sum $0",
    "unbalanced_close.txt": "(lam (sum $0)))",
    "just_close.txt": ")",
    "empty_parens.txt": "()",
    "bare_lam.txt": "(lam)",
    "lam_word.txt": "lam",
    "not_a_program.txt": "hello world",
    "huge_literal.txt": "(lam (+ (sum $0) 99999999999999999999999999999999999))",
    "rich_markup.txt": "(lam [/bold] $0)",
    "escape_codes.txt": "(lam (\x1b[31msum\x1b[0m $0))",
    "osc_title.txt": "(lam (sum\x1b]0;pwned\x07 $0))",
    "nul_byte.txt": "(lam (sum\x00 $0))",
    "hole_bad_type.txt": '(lam (?? "((((int"))',
    "hole_typed.txt": '(lam (?? "int"))',
    "hole_untyped.txt": "(lam (??))",
    "deep_lam_300.txt": "(lam " * 300 + "$0" + ")" * 300,
    "deep_app_150.txt": "(lam " + "(+ 1 " * 150 + "(sum $0)" + ")" * 150 + ")",
    "right_program.txt": "(lam (sum $0))",
    "wrong_program.txt": "(lam (length $0))",
    "slow_repeat.txt": "(lam (sum (repeat (sum (repeat 5 5)) "
                       "(sum (repeat (sum (repeat 5 5)) 5)))))",
    "slow_nested_sort.txt": "(lam (length (sort (concat (repeat (* 5 (* 5 (* 5 5))) "
                            "(sort (concat (repeat (* 5 (* 5 5)) (range (* 5 (* 5 5)))))))))))",
    "slow_range.txt": "(lam (length (range (* 5 (* 5 (* 5 (* 5 (* 5 (* 5 (* 5 5))))))))))",
    "raising_car.txt": "(lam (car (cdr (cdr (cdr (cdr (cdr (cdr $0))))))))",
    "raising_index.txt": "(lam (index 1000 $0))",
    "raising_mod_zero.txt": "(lam (mod (sum $0) 0))",
    "not_utf8.txt": b"(lam (sum \xff\xfe $0))",
    "unicode_names.txt": "(lam (\u548c $0))",
    "very_long_name.txt": "(lam (" + "x" * 50_000 + " $0))",
}


def write() -> int:
    n = 0
    for folder, table in (("tasks", {**REFUSED, **ACCEPTED}), ("programs", PROGRAMS)):
        d = HERE / folder
        d.mkdir(parents=True, exist_ok=True)
        for name, text in table.items():
            data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
            (d / name).write_bytes(data)
            n += 1
    (HERE / "tasks" / "a_directory.json").mkdir(exist_ok=True)
    (HERE / "tasks" / "a_directory.json" / "README").write_text(
        "A directory named like a task file: reading it must be a clear error.\n")
    return n


if __name__ == "__main__":
    print(f"wrote {write()} files under {HERE}")
