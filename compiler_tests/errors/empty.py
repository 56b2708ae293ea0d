# expect: E010 1:1
