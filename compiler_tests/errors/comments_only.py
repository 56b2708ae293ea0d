# expect: E010 1:1
# just a comment
"""and a docstring"""
