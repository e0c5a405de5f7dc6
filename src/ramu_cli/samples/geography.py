"""Mali as the synthetic batches see it: regions, their cercles and localities,
the public hospitals, private clinic and pharmacy names, and the banks.

Data only. Region weights are shares of the population; a region's two-digit
code starts every registration number drawn in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Region:
    code: str          # two digits, leading zero kept: first digits of registration numbers
    name: str
    weight: float      # share of the population
    cercles: tuple[str, ...]
    localities: tuple[str, ...]
    hospital: str


REGIONS = (
    Region("01", "Kayes", 0.13,
           ("Kayes", "Bafoulabé", "Diéma", "Kéniéba", "Kita", "Nioro du Sahel", "Yélimané"),
           ("Kayes N'Di", "Khasso", "Légal Ségou", "Plateau", "Liberté", "Bafoulabé", "Kita",
            "Nioro du Sahel", "Diéma", "Yélimané", "Kéniéba", "Sadiola", "Oussoubidiagna",
            "Aourou", "Ambidédi", "Séféto", "Sagabari", "Diamou", "Mahina", "Toukoto"),
           "Hôpital Fousseyni Daou de Kayes"),
    Region("02", "Koulikoro", 0.17,
           ("Kati", "Koulikoro", "Banamba", "Dioïla", "Kangaba", "Kolokani", "Nara", "Fana"),
           ("Kati", "Koulikoro Gare", "Kolokani", "Banamba", "Dioïla", "Fana", "Nara", "Kangaba",
            "Ouéléssébougou", "Siby", "Kalaban Coro", "Baguinéda", "Sanankoroba", "Kassela",
            "Massigui", "Néguéla", "Didiéni", "Tienfala", "Moribabougou", "Dialakorobougou"),
           "Hôpital régional de Koulikoro"),
    Region("03", "Sikasso", 0.17,
           ("Sikasso", "Bougouni", "Kadiolo", "Kolondiéba", "Koutiala", "Yanfolila", "Yorosso"),
           ("Wayerma", "Médine", "Mancourani", "Koutiala", "Bougouni", "Kadiolo", "Yorosso",
            "Kolondiéba", "Yanfolila", "Zégoua", "Niéna", "Loulouni", "Kignan", "Garalo", "Kouri",
            "Molobala", "Fakola", "Kléla", "Lobougoula", "Finkolo"),
           "Hôpital régional de Sikasso"),
    Region("04", "Ségou", 0.15,
           ("Ségou", "Barouéli", "Bla", "Macina", "Niono", "San", "Tominian", "Markala"),
           ("Pélengana", "Bla", "San", "Niono", "Macina", "Markala", "Barouéli", "Tominian",
            "Dioro", "Sansanding", "Saro", "Cinzana", "Touna", "Sokolo", "Kolongo", "Somo",
            "Fatiné", "Sakoïba", "Konobougou", "Diabaly"),
           "Hôpital Nianankoro Fomba de Ségou"),
    Region("05", "Mopti", 0.12,
           ("Mopti", "Bandiagara", "Bankass", "Djenné", "Douentza", "Koro", "Ténenkou", "Youwarou"),
           ("Sévaré", "Djenné", "Bandiagara", "Douentza", "Koro", "Bankass", "Ténenkou",
            "Youwarou", "Konna", "Fatoma", "Sofara", "Mondoro", "Boni", "Dinangourou", "Sangha",
            "Kani-Bonzon", "Diallassagou", "Toguéré Coumbé", "Socoura", "Komoguel"),
           "Hôpital Sominé Dolo de Mopti"),
    Region("06", "Tombouctou", 0.04,
           ("Tombouctou", "Diré", "Goundam", "Gourma-Rharous", "Niafunké"),
           ("Tombouctou", "Diré", "Goundam", "Niafunké", "Gourma-Rharous", "Léré", "Ber", "Tonka",
            "Bintagoungou", "Gossi", "Soumpi", "Alafia"),
           "Hôpital régional de Tombouctou"),
    Region("07", "Gao", 0.03, ("Gao", "Ansongo", "Bourem"),
           ("Gao", "Ansongo", "Bourem", "Gabéro", "Tessit", "Bamba", "Ouatagouna", "Soni Aliber",
            "Taboye", "Gounzoureye"),
           "Hôpital régional de Gao"),
    Region("08", "Kidal", 0.005, ("Kidal", "Tessalit", "Abeïbara"),
           ("Kidal", "Tessalit", "Abeïbara", "Tin-Essako", "Aguelhok", "Anéfis"),
           "Hôpital régional de Kidal"),
    Region("09", "Ménaka", 0.01, ("Ménaka", "Andéramboukane"),
           ("Ménaka", "Andéramboukane", "Inékar", "Tidermène", "Anouzagrene"),
           "Hôpital régional de Ménaka"),
    Region("10", "Taoudénit", 0.005, ("Taoudéni", "Achouratt"),
           ("Taoudéni", "Foum-Elba", "Achouratt", "Boujbeha", "Al-Ourche", "Arawane"),
           "Hôpital régional de Taoudénit"),
    Region("11", "Bamako", 0.15,
           ("la Commune I", "la Commune II", "la Commune III", "la Commune IV", "la Commune V",
            "la Commune VI"),
           ("Banconi", "Sabalibougou", "Djicoroni Para", "Kalaban Coura", "Niamakoro",
            "Lafiabougou", "Hamdallaye", "Médina Coura", "Bagadadji", "Sogoniko", "Faladié",
            "Magnambougou", "Missabougou", "Sébénikoro", "Boulkassoumbougou", "Djélibougou",
            "Korofina Nord", "Sikoroni", "Yirimadio", "Sénou", "Niaréla", "Badalabougou",
            "Torokorobougou", "Daoudabougou", "Banankabougou", "Dianéguéla", "Sotuba",
            "Kalabambougou", "Bacodjicoroni", "Doumanzana"),
           "Hôpital régional de Bamako"),
)
REGION_P = np.array([r.weight for r in REGIONS]) / sum(r.weight for r in REGIONS)
BAMAKO = len(REGIONS) - 1
HR_ORDER = (0, 2, 3, 4, 6, 5, 1, 7, 8, 9)  # regional hospitals: Kayes, Sikasso, Ségou, …

# University and national hospitals (EPH), with their region.
EPH_HOSPITALS = (("CHU du Point G", BAMAKO), ("CHU Gabriel Touré", BAMAKO), ("Hôpital du Mali", BAMAKO),
                 ("CHU Bocar Sidy Sall de Kati", 1), ("CHU d'Odontostomatologie de Bamako", BAMAKO),
                 ("CHU de l'IOTA", BAMAKO), ("Hôpital Mère-Enfant Le Luxembourg", BAMAKO),
                 ("Hôpital de Dermatologie de Bamako", BAMAKO))
CLINIC_NAMES = ("Pasteur", "Kabala", "Farako", "Les Étoiles", "Lafia", "Jigi", "Duniya", "Sigida",
                "Nièta", "Kènèya", "Benkadi", "Yeelen", "du Fleuve", "de l'Amitié", "Sainte Marie",
                "Al Farouk", "Hippocrate", "Djoliba", "La Source", "Espoir")
PHARMACY_NAMES = ("du Fleuve", "de la Paix", "Kènèya", "du Marché", "de la Gare", "Niger",
                  "Djoliba", "Tata", "Wassa", "du Sahel", "Espoir", "Bolibana", "du Centre",
                  "Hippodrome", "Baraka", "Sanou", "Nouvelle", "de l'Étoile", "Faso", "Dambé")
# Mali's banks (UEMOA bank codes, illustrative), most providers' accounts at the first ones.
BANK_CODES = ("ML016", "ML043", "ML040", "ML001", "ML044", "ML041", "ML079", "ML090", "ML102",
              "ML112", "ML117", "ML085")
BANK_P = np.array([0.22, 0.18, 0.14, 0.10, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01])
