"""Summarizes py-spy's collapsed stacks: the share of samples under each function."""

import sys
from collections import Counter


def main(paths: list[str], limit: int = 45) -> None:
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        with open(path) as collapsed:
            for line in collapsed:
                stack, _, count = line.rstrip().rpartition(" ")
                total += int(count)
                for frame in set(stack.split(";")):
                    inclusive[frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1]] += int(count)
    print(f"{total} samples")
    for frame, count in inclusive.most_common(limit):
        print(f"{100 * count / total:5.1f}%  {frame[:120]}")


if __name__ == "__main__":
    main(sys.argv[1:])
