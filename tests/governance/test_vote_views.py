"""Screens of votes: the team prepares, opens, follows, enters paper ballots, closes,
publishes and exports; a member votes for themselves and their proxy on their phone, gets
a receipt and checks it; outsiders get 404, members without the capability 403."""

import json

import pytest
from django.urls import reverse
from django_scopes import scope

from essaim.governance import recount, services, votes
from essaim.governance.models import Ballot, RollEntry, Vote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _url(association, name, **kwargs):
    return reverse(f"governance:{name}", kwargs={"association_slug": association.slug, **kwargs})


@pytest.fixture
def meeting(association, presidente, make_members, make_assembly, rules, citizen):
    """An open AG: members 0-2 present, 3 gave their proxy to 0 (the citizen persona)."""
    members = make_members(4)
    assembly = make_assembly(days=0)
    with scope(association=association):
        members[0].user = citizen
        members[0].save()
        services.assembly_convene(
            association=association, acting_user=presidente, assembly=assembly
        )
        for person in members[:3]:
            services.attendance_check_in(
                association=association, acting_user=presidente, assembly=assembly, person=person
            )
        services.proxy_give(
            association=association,
            acting_user=presidente,
            assembly=assembly,
            giver=members[3],
            holder=members[0],
        )
        services.assembly_open(association=association, acting_user=presidente, assembly=assembly)
    return assembly, members


def _vote(association, presidente, assembly, open_=True, **fields):
    with scope(association=association):
        vote = votes.vote_create(
            association=association,
            acting_user=presidente,
            title=fields.pop("title", "Approve the accounts"),
            agenda_item=assembly.items.first(),
            **fields,
        )
        if open_:
            vote = votes.vote_open(association=association, acting_user=presidente, vote=vote)
    return vote


def _team_urls(association, vote):
    v = {"vote_uuid": vote.uuid}
    return [
        ("get", _url(association, "votes")),
        ("get", _url(association, "vote_create")),
        ("get", _url(association, "vote", **v)),
        ("get", _url(association, "vote_participation", **v)),
        ("post", _url(association, "vote_open", **v)),
        ("post", _url(association, "vote_close", **v)),
        ("post", _url(association, "vote_publish", **v)),
        ("post", _url(association, "vote_verify", **v)),
        ("post", _url(association, "vote_delete", **v)),
        ("post", _url(association, "vote_paper_roll", **v)),
        ("post", _url(association, "vote_paper_ballots", **v)),
        ("get", _url(association, "vote_export_json", **v)),
        ("get", _url(association, "vote_export_csv", **v)),
        (
            "get",
            _url(association, "vote_create_assembly", assembly_uuid=vote.assembly.uuid),
        ),
    ]


def test_outsider_gets_404_and_benevole_403(
    client_for, outsider, other_association, benevole, association, presidente, meeting
):
    vote = _vote(association, presidente, meeting[0])
    outsider_client, benevole_client = client_for(outsider), client_for(benevole)
    for method, url in _team_urls(association, vote):
        assert getattr(outsider_client, method)(url).status_code == 404, url
        assert getattr(benevole_client, method)(url).status_code == 403, url
    # The member pages of another association's vote: 404 too.
    assert (
        outsider_client.get(reverse("governance_public:ballot", args=[vote.uuid])).status_code
        == 404
    )
    with scope(association=association):
        assert Vote.objects.get(pk=vote.pk).status == Vote.Status.OPEN


def test_team_prepares_a_vote_from_an_agenda_item(client_for, presidente, association, meeting):
    assembly, _members = meeting
    client = client_for(presidente)
    page = client.get(_url(association, "assembly", assembly_uuid=assembly.uuid))
    assert b"Prepare the vote" in page.content
    with scope(association=association):
        item = assembly.items.first()
    create = _url(association, "vote_create_assembly", assembly_uuid=assembly.uuid)
    form = client.get(f"{create}?item={item.uuid}")
    assert form.status_code == 200 and item.title.encode() in form.content
    bad = client.post(
        create,
        {
            "item": item.uuid,
            "title": "Board",
            "method": "judgment",
            "options": "Alice",
            "majority": "simple",
            "max_score": 5,
            "secret": "on",
        },
    )
    assert bad.status_code == 422 and b"at least two options" in bad.content
    response = client.post(
        create,
        {
            "item": item.uuid,
            "title": "Election of the board",
            "method": "judgment",
            "options": "Alice\nBruno\n\nChloé",
            "majority": "simple",
            "max_score": 5,
            "secret": "on",
        },
    )
    assert response.status_code == 302
    with scope(association=association):
        vote = Vote.objects.get(title="Election of the board")
        assert [o.label for o in vote.options.all()] == ["Alice", "Bruno", "Chloé"]
        assert vote.agenda_item == item and vote.secret
    page = client.get(_url(association, "assembly", assembly_uuid=assembly.uuid))
    assert b"Election of the board" in page.content


def test_a_bad_item_or_body_is_404(client_for, presidente, association, meeting):
    client = client_for(presidente)
    create = _url(association, "vote_create_assembly", assembly_uuid=meeting[0].uuid)
    assert client.get(f"{create}?item=not-a-uuid").status_code == 404
    assert (
        client.get(
            _url(association, "vote_create") + "?body=00000000-0000-0000-0000-000000000000"
        ).status_code
        == 404
    )


def test_member_votes_for_self_and_proxy_and_checks_receipt(
    client_for, citizen, presidente, association, meeting
):
    assembly, members = meeting
    vote = _vote(association, presidente, assembly)
    client = client_for(citizen)
    listing = client.get(reverse("governance_public:my_votes"))
    assert b"Approve the accounts" in listing.content and b"2 ballots" in listing.content
    url = reverse("governance_public:ballot", args=[vote.uuid])
    page = client.get(url)
    assert b"My ballot" in page.content and f"Ballot for {members[3]}".encode() in page.content
    own = client.post(url, {"for": members[0].uuid, f"b{members[0].uuid}-choice": "yes"})
    assert own.status_code == 200 and b"Your ballot is in the box" in own.content
    code = own.context["receipt"].code
    assert code.encode() in own.content
    proxy = client.post(url, {"for": members[3].uuid, f"b{members[3].uuid}-choice": "no"})
    assert b"is in the box" in proxy.content
    again = client.post(url, {"for": members[0].uuid, f"b{members[0].uuid}-choice": "no"})
    assert again.status_code == 422 and b"already voted" in again.content
    empty = client.post(url, {"for": members[3].uuid})
    assert empty.status_code == 422
    # Someone else's ballot (a member whose proxy the citizen does not hold): 404.
    assert (
        client.post(url, {"for": members[1].uuid, f"b{members[1].uuid}-choice": "no"}).status_code
        == 404
    )
    # The receipt page reloaded never shows the code again.
    assert code.encode() not in client.get(url).content
    public = reverse("governance_public:vote", args=[vote.uuid])
    checked = client.post(public, {"code": code.lower()})
    assert b"Your ballot is in the box" in checked.content
    wrong = client.post(public, {"code": "0000-0000-0000-0000"})
    assert b"No ballot carries this receipt code" in wrong.content
    with scope(association=association):
        assert RollEntry.objects.filter(vote=vote).count() == 2


def test_live_participation_never_shows_partial_results(
    client_for, citizen, presidente, association, meeting
):
    assembly, members = meeting
    vote = _vote(association, presidente, assembly)
    with scope(association=association):
        votes.vote_cast(
            association=association, acting_user=None, vote=vote, voter=members[1], choice="no"
        )
    client = client_for(presidente)
    page = client.get(_url(association, "vote", vote_uuid=vote.uuid))
    assert b"have voted" in page.content and b"Not adopted" not in page.content
    assert b"Result" not in page.content
    box = client.get(_url(association, "vote_participation", vote_uuid=vote.uuid))
    assert box.status_code == 200 and b"<strong>1</strong>" in box.content


def test_team_runs_paper_ballots_close_publish_and_export(
    client_for, presidente, association, meeting
):
    assembly, members = meeting
    vote = _vote(association, presidente, assembly)
    client = client_for(presidente)
    roll = _url(association, "vote_paper_roll", vote_uuid=vote.uuid)
    assert client.post(roll, {"voter": members[1].uuid}).status_code == 302
    assert (
        client.post(roll, {"voter": members[0].uuid, "represented": members[3].uuid}).status_code
        == 302
    )
    again = client.post(roll, {"voter": members[1].uuid})
    assert again.status_code == 422 and b"already voted" in again.content
    ballots = _url(association, "vote_paper_ballots", vote_uuid=vote.uuid)
    too_many = client.post(ballots, {"total-yes": "3"}, follow=True)
    assert b"paper box would hold" in too_many.content
    not_a_number = client.post(ballots, {"total-yes": "x"}, follow=True)
    assert b"whole number" in not_a_number.content
    client.post(ballots, {"total-yes": "1", "total-no": "1"})
    client.post(_url(association, "vote_close", vote_uuid=vote.uuid))
    page = client.get(_url(association, "vote", vote_uuid=vote.uuid))
    assert b"Not adopted" in page.content  # 1 yes, 1 no: a tie rejects
    assert b"the box matches its seal" in page.content
    verify = client.post(_url(association, "vote_verify", vote_uuid=vote.uuid), follow=True)
    assert b"matches its seal" in verify.content
    client.post(_url(association, "vote_publish", vote_uuid=vote.uuid))
    export = client.get(_url(association, "vote_export_json", vote_uuid=vote.uuid))
    data = json.loads(export.content)
    assert recount.recount(data)["verification"]["ok"]
    csv = client.get(_url(association, "vote_export_csv", vote_uuid=vote.uuid))
    assert csv.status_code == 200 and b"chain_hash" in csv.content
    public = client.get(reverse("governance_public:vote", args=[vote.uuid]))
    assert b"Final hash" in public.content
    public_export = client.get(reverse("governance_public:vote_export_json", args=[vote.uuid]))
    assert json.loads(public_export.content)["final_hash"] == data["final_hash"]


def test_publish_refused_on_a_tampered_box(client_for, presidente, association, meeting):
    assembly, members = meeting
    vote = _vote(association, presidente, assembly)
    with scope(association=association):
        votes.vote_cast(
            association=association, acting_user=None, vote=vote, voter=members[1], choice="no"
        )
        votes.vote_close(association=association, acting_user=presidente, vote=vote)
        Ballot.objects.filter(vote=vote).update(choice="yes")
    client = client_for(presidente)
    response = client.post(_url(association, "vote_publish", vote_uuid=vote.uuid), follow=True)
    assert (
        b"does not match its seal" in response.content
        and b"Nothing was published" in response.content
    )
    assert b"no longer matches its seal" in response.content


def test_public_page_before_publication_shows_no_result(client, association, presidente, meeting):
    vote = _vote(association, presidente, meeting[0])
    page = client.get(reverse("governance_public:vote", args=[vote.uuid]))
    assert page.status_code == 200 and b"The vote is open" in page.content
    assert (
        client.get(reverse("governance_public:vote_export_json", args=[vote.uuid])).status_code
        == 404
    )
    bad = client.post(reverse("governance_public:vote", args=[vote.uuid]), {"code": "abc"})
    assert b"16 letters" in bad.content


def test_ranked_and_judgment_screens(client_for, citizen, presidente, association, meeting):
    assembly, members = meeting
    ranked = _vote(
        association,
        presidente,
        assembly,
        title="Project",
        method="ranked",
        options=["Garden", "Library", "Café"],
    )
    client = client_for(citizen)
    url = reverse("governance_public:ballot", args=[ranked.uuid])
    p = f"b{members[0].uuid}-"
    same = client.post(url, {"for": members[0].uuid, f"{p}rank-1": "1", f"{p}rank-2": "1"})
    assert same.status_code == 422 and b"same rank" in same.content
    ok = client.post(url, {"for": members[0].uuid, f"{p}rank-1": "2", f"{p}rank-2": "1"})
    assert b"in the box" in ok.content
    judged = _vote(
        association,
        presidente,
        assembly,
        title="Board",
        method="judgment",
        options=["Alice", "Bruno"],
    )
    url = reverse("governance_public:ballot", args=[judged.uuid])
    page = client.get(url)
    assert "Très bien".encode() in page.content
    client.post(url, {"for": members[0].uuid, f"{p}option-1": "1", f"{p}option-2": "4"})
    with scope(association=association):
        for vote in (ranked, judged):
            votes.vote_close(association=association, acting_user=presidente, vote=vote)
    team = client_for(presidente)
    matrix = team.get(_url(association, "vote", vote_uuid=ranked.uuid))
    assert b"pairwise matrix" in matrix.content
    grades = team.get(_url(association, "vote", vote_uuid=judged.uuid))
    assert "Très bien".encode() in grades.content and b"Majority grade" in grades.content


def test_votes_list_paginated_and_searched(client_for, presidente, association, meeting):
    for index in range(3):
        _vote(association, presidente, meeting[0], open_=False, title=f"Question {index}")
    client = client_for(presidente)
    page = client.get(_url(association, "votes") + "?q=question 1")
    assert b"Question 1" in page.content and b"Question 2" not in page.content
    empty = client.get(_url(association, "votes") + "?q=zzz")
    assert b"No vote matches" in empty.content
