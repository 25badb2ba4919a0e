"""Importing members from the spreadsheets associations actually have (issue 3, §8).

- `reading`: open a CSV or XLSX file, whatever its encoding and separator; refuse what is
  not a spreadsheet with a message the treasurer understands. No models.
- `values`: French dates, amounts, phones, yes/no… as typed in real files. No models.
- `fields`: what a column can be imported as, French header synonyms, HelloAsso and Paheko
  presets, the automatic mapping.
- `engine`: every row's outcome (created, updated, skipped as duplicate, rejected with its
  reason), computed in chunks; the same code runs the preview (nothing written) and the
  import (bulk writes, one transaction per chunk).
- `services` (writes) and `selectors` (reads) for the views; `tasks` for the worker.
"""
