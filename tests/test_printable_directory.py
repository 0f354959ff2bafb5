"""The printable directory: "Directory of National Authorities — as of DATE", by member state,
as HTML with a print stylesheet and as PDF (WeasyPrint), from the API's contacts list
(Accept: text/html, application/pdf) and from the admin; only live network-visible entries."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import pypdf
import sqlalchemy as sa

from service.directory.models import ContactPoint, EntryStatus

ACCENTED = "Comité Nacional de Demostración contra la Trata (ficticio)"  # AR's coordinating body
SECRETARIAT_ONLY = "Demo Person Alfa (fictitious)"  # AR alternate, visibility: secretariat
NETWORK_24_7 = "Demo 24/7 Victim Hotline (fictitious)"  # AR, at the coordinating authority


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def as_of() -> str:
    day = datetime.now(UTC).date()
    return f"as of {day.day} {day:%B %Y}"


def pdf_text(data: bytes) -> tuple[int, str]:
    """Page count, and the text of every page with runs of white space made one space (a long
    name may wrap onto the next line)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_the_demo_directory_as_pdf_for_a_partner(api):
    started = time.perf_counter()
    response = api.get("/api/v1/contacts", headers={"Accept": "application/pdf"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="directory-{today()}.pdf"'
    )
    pages, text = pdf_text(response.data)
    print(f"\nprintable directory (demo, all states): {pages} pages, rendered in {elapsed:.2f} s")
    assert pages > 0
    assert f"Directory of National Authorities — {as_of()}" in text
    assert ACCENTED in text  # accents come through the embedded DejaVu font
    assert NETWORK_24_7 in text
    assert "Argentina (AR)" in text and "Brazil (BR)" in text
    assert SECRETARIAT_ONLY not in text  # partners never see secretariat-only contacts
    # the state that does not take part is shown apart, with its dated note
    assert "Member states not taking part" in text
    assert "Cuba (CU) — not participating" in text


def test_the_html_variant_is_one_state_in_print_order(api):
    response = api.get("/api/v1/contacts?member_state=ar", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="directory-{today()}.html"'
    )
    assert "Accept" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "@page" in page and "@media print" in page and "DejaVu Sans" in page
    assert f"Directory of National Authorities — {as_of()}" in page
    assert ACCENTED in page
    assert "Argentina (AR)" in page and "Brazil (BR)" not in page  # the list's filter applies
    assert SECRETARIAT_ONLY not in page
    # coordinating authority, then the 24/7 operational contacts, then the others
    coordinating = page.index("Coordinating authority</h3>")
    operational = page.index("24/7 operational contacts</h3>")
    others = page.index("Other authorities and contact points</h3>")
    assert coordinating < operational < page.index(NETWORK_24_7) < others
    # each contact's channels, languages and hours with their time zone
    assert "guardia@demo-ar.example.org" in page
    assert "Spanish, English, Portuguese" in page
    assert "Mon\u2013Fri 09:00\u201317:00 (America/Argentina/Buenos_Aires)" in page


def test_only_live_network_entries_even_for_the_secretariat(secretariat, session):
    inactive = session.execute(
        sa.select(ContactPoint).filter_by(demo_key="demo-ar-focal")
    ).scalar_one()
    inactive.status = EntryStatus.INACTIVE
    session.commit()
    page = secretariat.get(
        "/api/v1/contacts?member_state=AR", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert NETWORK_24_7 in page
    assert inactive.name not in page  # not active: not in the directory
    assert SECRETARIAT_ONLY not in page  # the document is the network's, whoever prints it


def test_an_empty_selection_is_a_document_that_says_so(api):
    response = api.get(
        "/api/v1/contacts?q=nothing-matches-this-at-all", headers={"Accept": "application/pdf"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages, text = pdf_text(response.data)
    assert pages >= 1
    assert f"Directory of National Authorities — {as_of()}" in text
    assert "This directory is empty" in text
    # a state that does not take part: its note, not an error
    cuba = api.get("/api/v1/contacts?member_state=CU", headers={"Accept": "text/html"})
    assert cuba.status_code == 200
    assert "This directory is empty" in cuba.get_data(as_text=True)
    assert "not participating" in cuba.get_data(as_text=True)


def test_an_unsupported_accept_stays_a_406_listing_the_printable_forms(api):
    response = api.get("/api/v1/contacts", headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert response.mimetype == "application/problem+json"
    assert (
        "offered: application/json, text/csv, text/vcard, text/html, application/pdf"
        in response.get_json()["detail"]
    )
    bad = api.get("/api/v1/contacts?member_state=XYZ", headers={"Accept": "application/pdf"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "member_state.0"


def test_a_focal_point_prints_any_state_from_the_admin(client, login):
    login(client, "focal_point", "AR")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/printable_directory/"' in dashboard  # in the Directory menu
    page = client.get("/admin/printable_directory/")
    assert page.status_code == 200
    assert 'href="/admin/printable_directory/pdf"' in page.get_data(as_text=True)
    response = client.get("/admin/printable_directory/pdf?member_state=BR")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages, text = pdf_text(response.data)
    assert pages > 0
    assert "Brazil (BR)" in text and "Argentina (AR)" not in text
    assert "Coordenação de Demonstração de Enfrentamento ao Tráfico de Pessoas" in text
    whole = client.get("/admin/printable_directory/html").get_data(as_text=True)
    assert ACCENTED in whole and SECRETARIAT_ONLY not in whole
    for code in ("ZZ", "A\x00", "AR" * 500):
        unknown = client.get("/admin/printable_directory/html", query_string={"member_state": code})
        assert unknown.status_code == 400
        assert "member_state: no member state with the code" in unknown.get_data(as_text=True)


def test_the_coordinating_authority_heads_its_state_even_with_only_24_7_contacts(api):
    page = api.get(
        "/api/v1/contacts?member_state=AR&role=operational_24_7", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    coordinating = page.index("Coordinating authority</h3>")
    assert page.index(ACCENTED) > coordinating  # its names and address, before the contacts
    assert page.index("24/7 operational contacts</h3>") < page.index(NETWORK_24_7)
    assert "Focal Point Office (demo)" not in page  # the role filter applies
