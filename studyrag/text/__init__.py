"""Text rules shared by reading, retrieval, answers and practice: the units a passage is made of
(sentences, bullets, labels, formulas, table rows, code lines) and the sentence splitters."""
