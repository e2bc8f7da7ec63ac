"""The commands of ``python -m spacy_cner`` (and ``python -m spacy cner``), one module each.

Output conventions: records and reports are written with the standard ``json``
module and ``ensure_ascii=False``, because srsly's encoder escapes every Chinese
character (胃癌 becomes \\u80c3\\u764c), which makes annotated records unreadable
and several times larger. Warnings and errors go to stderr with ``print``, not
wasabi, whose printer writes to stdout, where they would mix with data piped on.
"""
