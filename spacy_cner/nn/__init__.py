"""The models' plain ``torch.nn.Module``s: importable and testable without spaCy or Thinc.

The registered builders that wrap them as Thinc layers live beside the rest of
their kind: ``encoders/`` (BiLSTM, imConvNet) and ``features/`` (code and glyph CNNs).
"""
