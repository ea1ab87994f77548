"""Write the synthetic CSV files in this folder. Run: python tests/data/make_data.py

Every table is drawn from a seeded generator, so running this again gives the
same bytes. The data are invented; they only look like real tables.
"""

import csv
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, header, rows, delimiter=","):
    with open(os.path.join(HERE, name), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def credit_rows(rng, n, with_target=True, unknown_grade=False):
    """Loan applications: missing values, categories with commas, a constant column."""
    employment = ["full-time", "part-time", "self-employed", "unemployed"]
    homes = ["rent", "own", "mortgage, fixed", "mortgage, variable"]
    grades = ["A", "B", "C", "D", "E", "F"]
    purposes = ["car", "education", "home improvement", "debt consolidation"]
    rows = []
    for i in range(n):
        age = int(rng.integers(19, 75))
        income = float(np.round(rng.lognormal(10.6, 0.45), -2))
        job = employment[rng.choice(4, p=[0.6, 0.2, 0.12, 0.08])]
        home = homes[rng.integers(4)]
        grade = grades[rng.integers(6)]
        purpose = purposes[rng.integers(4)]
        amount = float(np.round(rng.uniform(1000, 40000), -1))
        cosigner = "yes" if rng.random() < 0.25 else "no"

        # The risk score behind the label. The model gets only the columns, not the score.
        score = (-3.0 + amount / 20000 - (income - 42000) / 25000 + 0.55 * grades.index(grade)
                 - 0.8 * (cosigner == "yes") + 1.0 * (job == "unemployed") - (age - 40) / 60)
        default = "yes" if score + rng.normal(0, 0.5) > 0 else "no"

        fields = {"applicant_id": 1000 + i, "age": age, "income": income,
                  "employment": job, "home": home, "grade": grade, "purpose": purpose,
                  "loan_amount": amount, "has_cosigner": cosigner, "country": "DE"}
        # Missing values in three spellings.
        if rng.random() < 0.08:
            fields["income"] = ["NA", "", "?"][rng.integers(3)]
        if rng.random() < 0.05:
            fields["age"] = "NA"
        if rng.random() < 0.05:
            fields["employment"] = ""
        if unknown_grade and i in (2, 5):
            fields["grade"] = "G"
        row = list(fields.values())
        if with_target:
            row.append(default)
        rows.append(row)
    return rows


CREDIT_HEADER = ["applicant_id", "age", "income", "employment", "home", "grade", "purpose",
                 "loan_amount", "has_cosigner", "country"]


def houses(rng, n):
    """House prices with ';' between fields and ',' as the decimal mark."""
    districts = ["north", "south", "east", "west", "centre"]
    rows = []
    for _ in range(n):
        area = float(np.round(rng.uniform(35, 220), 1))
        rooms = int(max(1, round(area / 30 + rng.normal(0, 0.7))))
        district = districts[rng.integers(5)]
        garden = "true" if rng.random() < 0.4 else "false"
        year = int(rng.integers(1900, 2024))
        price = (1800 * area + 9000 * rooms + 40000 * districts.index(district)
                 + 25000 * (garden == "true") + 300 * (year - 1900) + rng.normal(0, 15000))
        fields = [str(area).replace(".", ","), rooms, district, garden,
                  "NA" if rng.random() < 0.06 else year,
                  ("%.2f" % (price / 1000)).replace(".", ",")]
        rows.append(fields)
    return rows


def moons(rng, n):
    """Two interleaved half circles: a two-feature binary problem."""
    rows = []
    for i in range(n):
        upper = i % 2 == 0
        angle = rng.uniform(0, math.pi)
        x = math.cos(angle) if upper else 1 - math.cos(angle)
        y = math.sin(angle) if upper else 0.5 - math.sin(angle)
        rows.append(["%.4f" % (x + rng.normal(0, 0.1)), "%.4f" % (y + rng.normal(0, 0.1)),
                     "upper" if upper else "lower"])
    return rows


def blobs(rng, n):
    """Three well separated classes in four numeric features, labelled by color."""
    centres = {"red": [0, 0, 0, 0], "green": [4, 4, 0, 0], "blue": [0, 4, 4, 0]}
    rows = []
    for i in range(n):
        label = list(centres)[i % 3]
        point = np.array(centres[label]) + rng.normal(0, 0.8, 4)
        rows.append(["%.3f" % v for v in point] + [label])
    return rows


def main():
    rng = np.random.default_rng(20240501)
    write("credit.csv", CREDIT_HEADER + ["default"], credit_rows(rng, 600))
    new = credit_rows(rng, 12, with_target=False, unknown_grade=True)
    # The same columns in another order: prediction matches columns by name.
    order = [9, 0, 2, 1, 3, 4, 5, 6, 7, 8]
    write("credit_new.csv", [CREDIT_HEADER[j] for j in order], [[r[j] for j in order] for r in new])
    write("credit_missing_column.csv", [c for c in CREDIT_HEADER if c != "grade"],
          [[v for c, v in zip(CREDIT_HEADER, r) if c != "grade"] for r in new])
    write("houses_semicolon.csv", ["area_m2", "rooms", "district", "garden", "year_built",
                                   "price_thousands"], houses(rng, 300), delimiter=";")
    write("moons.csv", ["x1", "x2", "side"], moons(rng, 300))
    write("colors.csv", ["f1", "f2", "f3", "f4", "color"], blobs(rng, 150))

    # Files for the error paths.
    write("one_class.csv", ["income", "grade", "default"],
          [[40000 + 1000 * i, "AB"[i % 2], "no"] for i in range(20)])
    rows = [[40000 + 1000 * i, "AB"[i % 2], "yes" if i % 3 else "no"] for i in range(30)]
    rows[17][0] = "41k"
    write("bad_number.csv", ["income", "grade", "default"], rows)
    with open(os.path.join(HERE, "empty.csv"), "w") as f:
        pass
    with open(os.path.join(HERE, "header_only.csv"), "w") as f:
        f.write("income,grade,default\n")
    with open(os.path.join(HERE, "ragged.csv"), "w") as f:
        f.write("income,grade,default\n41000,A,no\n52000,B,yes,extra\n38000,A,no\n")
    with open(os.path.join(HERE, "bad_quote.csv"), "w") as f:
        f.write('income,grade,default\n41000,"A,no\n52000,B,yes\n')


if __name__ == "__main__":
    main()
