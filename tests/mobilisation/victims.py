from essaim.mobilisation import services


def victims(*, association, presidente, person) -> dict:
    petition = services.petition_create(
        association=association,
        acting_user=presidente,
        title="Pétition victime",
        addressee="Quelqu'un",
        text="Texte.",
        goal=10,
    )
    return {"petition_uuid": petition.uuid, "action": "open"}
