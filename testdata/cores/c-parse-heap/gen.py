# Writes the input: an expression over a few lines whose last line nests
# deeper than a 1 MiB stack holds.
import sys
head = "a + b * 3 +\n(c + d) * (e + 42) +\n((x)) +\n"
deep = "(" * 18000 + "z" + ")" * 18000
sys.stdout.write(head + "y * " + deep + "\n")
