"""Activities in Spanish, French and Portuguese: the secretariat enters translations of their
title, description and expected result; the work plan document and the progress report show
them in the reader's language, and the English text, marked as such, where one is missing."""

import io

import lxml.html
from docx import Document

from tests.test_admin import text
from tests.test_admin_conflicts import edit_form_values

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    action,
    audit_trail,
    field_errors,
    patch,
    seeded_activity,
)

SPANISH_TITLE = "Directorio de Autoridades Nacionales en Materia de Trata de Personas"
SPANISH_DESCRIPTION = "La Secretaría reúne y publica los datos de contacto de las autoridades."


def document(client, plan, language: str, fmt: str = "html"):
    response = client.get(
        f"{PLANS}/{plan.id}/document?format={fmt}", headers={"Accept-Language": language}
    )
    assert response.status_code == 200, response.data[:300]
    return response


def activity_cell(page: str, code: str):
    """The activity's cell (title, description, expected result) in the pillar table."""
    tree = lxml.html.fromstring(page)
    (row,) = tree.xpath(f'//tr[td[1][normalize-space()="{code}"]][td/strong]')
    return row.xpath("td[2]")[0]


def squeeze(value: str) -> str:
    return " ".join(value.split())


def test_the_secretariat_translates_an_activity_and_the_document_shows_it(
    client, login, api, seeded_plan, session
):
    activity = seeded_activity(seeded_plan, "COOP-01")
    english_title, english_result = activity.title, activity.expected_result
    assert english_result  # the fallback below is shown on it
    login(client, "secretariat")
    page = client.get(f"/admin/activity/edit/?id={activity.id}", headers={"Accept-Language": "en"})
    assert "Translations" in text(page)
    form = edit_form_values(page)
    form["translations-0-language"] = "es"
    form["translations-0-title"] = SPANISH_TITLE
    form["translations-0-description"] = SPANISH_DESCRIPTION
    form["translations-0-expected_result"] = ""
    saved = client.post(f"/admin/activity/edit/?id={activity.id}", data=form)
    assert saved.status_code == 302, text(saved)

    entry = audit_trail("activities", activity.id)[-1]
    assert entry.action.value == "update"
    assert entry.before["translations"] == {}
    assert entry.after["translations"] == {
        "es": {"title": SPANISH_TITLE, "description": SPANISH_DESCRIPTION, "expected_result": None}
    }

    # Spanish: the translated title and description, the English expected result marked.
    spanish = document(api, seeded_plan, "es").get_data(as_text=True)
    assert '<html lang="es">' in spanish
    for heading in ("Mandatos", "Recursos", "Leyenda de los códigos de órganos", "Etapa"):
        assert heading in spanish, heading
    cell = activity_cell(spanish, "COOP-01")
    assert cell.xpath("string(strong)") == SPANISH_TITLE
    assert SPANISH_DESCRIPTION in cell.text_content()
    (marked,) = cell.xpath('.//span[@lang="en"]')
    assert squeeze(marked.text_content()) == squeeze(english_result)
    assert squeeze(cell.text_content()).endswith("(original en inglés)")
    assert english_title not in spanish

    # French: no French translation, so the English title, marked as English.
    french = document(api, seeded_plan, "fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and "Mandats" in french
    cell = activity_cell(french, "COOP-01")
    title = cell.xpath("strong")[0]
    assert title.xpath('string(span[@lang="en"])') == english_title
    assert "(original en anglais)" in title.text_content()
    assert SPANISH_TITLE not in french

    # English: the source, unmarked.
    english = document(api, seeded_plan, "en").get_data(as_text=True)
    cell = activity_cell(english, "COOP-01")
    assert cell.xpath("string(strong)") == english_title
    assert "English original" not in english and 'data-testid="english-original"' not in english


def test_the_docx_and_csv_in_spanish_have_spanish_headings_and_the_translated_title(
    workplan_writer, seeded_plan
):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    assert (
        patch(workplan_writer, url, {"translations": {"es": {"title": SPANISH_TITLE}}}).status_code
        == 200
    )

    docx = Document(io.BytesIO(document(workplan_writer, seeded_plan, "es", "docx").data))
    paragraphs = [p.text for p in docx.paragraphs]
    assert "Mandatos" in paragraphs and "Constancia de aprobación" in paragraphs
    headers = {tuple(c.text for c in t.rows[0].cells) for t in docx.tables}
    assert ("Etapa", "Órgano", "Fecha", "Reunión", "Signatura del documento") in headers
    rows = {
        t.rows[i].cells[0].text: t.rows[i].cells[1].text
        for t in docx.tables
        for i in range(1, len(t.rows))
    }
    assert rows["COOP-01"] == SPANISH_TITLE
    other = next(code for code in rows if code.startswith("PREV-"))
    assert rows[other].endswith("(original en inglés)")

    csv = document(workplan_writer, seeded_plan, "es", "csv").get_data(as_text=True)
    assert csv.lstrip("\ufeff").startswith("Pilar,Código,Actividad")
    assert SPANISH_TITLE in csv


def test_the_progress_report_in_portuguese(workplan_writer, seeded_plan):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    translation = {"pt": {"title": "Diretório de Autoridades Nacionais"}}
    assert patch(workplan_writer, url, {"translations": translation}).status_code == 200
    costed = patch(workplan_writer, url, {"estimated_cost": "25000", "currency": "USD"})
    assert costed.status_code == 200
    note = {"noted_on": "2010-03-01", "text": "Questionário enviado.", "amount_spent": "1234.5"}
    assert workplan_writer.post(f"{url}/progress-notes", json=note).status_code == 201

    page = workplan_writer.get(
        f"{PLANS}/{seeded_plan.id}/progress-report?format=html&from=2010-01-01&to=2010-12-31",
        headers={"Accept-Language": "pt"},
    )
    assert page.status_code == 200, page.data[:300]
    body = squeeze(lxml.html.fromstring(page.get_data(as_text=True)).text_content())
    assert '<html lang="pt">' in page.get_data(as_text=True)
    for words in (
        "Relatório de andamento:",
        "período de 1 de janeiro de 2010 a 31 de dezembro de 2010",
        "Atividades por pilar",
        "O que não foi feito, e por quê",
        "Recursos gastos em relação às estimativas",
        "Diretório de Autoridades Nacionais",
        "1 de março de 2010: Questionário enviado. (gasto: USD 1.234,50)",
        "USD 25.000,00",
        "(original em inglês)",  # the activities nobody translated
    ):
        assert words in body, words


def test_translations_through_the_api(workplan_writer, seeded_plan):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    given = {
        "es": {"title": SPANISH_TITLE, "description": SPANISH_DESCRIPTION},
        "fr": {"title": "Répertoire des autorités nationales", "expected_result": "Publié."},
    }
    response = patch(workplan_writer, url, {"translations": given})
    assert response.status_code == 200, response.get_json()
    shown = workplan_writer.get(url).get_json()["translations"]
    assert shown["es"]["title"] == SPANISH_TITLE and shown["es"]["expected_result"] is None
    assert shown["fr"]["expected_result"] == "Publié."

    # the object given replaces them all
    patch(workplan_writer, url, {"translations": {"fr": given["fr"]}})
    assert set(workplan_writer.get(url).get_json()["translations"]) == {"fr"}

    english = patch(workplan_writer, url, {"translations": {"en": {"title": "Directory"}}})
    assert english.status_code == 422 and "translations.en.key" in field_errors(english)
    empty = patch(workplan_writer, url, {"translations": {"pt": {"title": "  "}}})
    assert empty.status_code == 422
    assert "translations.pt" in field_errors(empty)


def test_an_approved_plan_still_takes_translations_but_not_new_english(
    workplan_writer, seeded_plan
):
    action(workplan_writer, seeded_plan.id, "submit")
    assert action(workplan_writer, seeded_plan.id, "approve").get_json()["status"] == "approved"
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    translated = patch(workplan_writer, url, {"translations": {"es": {"title": SPANISH_TITLE}}})
    assert translated.status_code == 200
    assert patch(workplan_writer, url, {"title": "Another title"}).status_code == 409


def test_the_admin_shows_the_translations_and_refuses_a_language_twice(
    client, login, workplan_writer, seeded_plan
):
    activity = seeded_activity(seeded_plan, "COOP-01")
    url = f"{ACTIVITIES}/{activity.id}"
    assert (
        patch(workplan_writer, url, {"translations": {"es": {"title": SPANISH_TITLE}}}).status_code
        == 200
    )
    login(client, "secretariat")
    page = client.get(f"/admin/activity/edit/?id={activity.id}", headers={"Accept-Language": "es"})
    form = edit_form_values(page)
    assert (form["translations-0-language"], form["translations-0-title"]) == ("es", SPANISH_TITLE)
    assert "Traducciones" in text(page)

    form["translations-1-language"] = "es"
    form["translations-1-title"] = "Otro título"
    refused = client.post(
        f"/admin/activity/edit/?id={activity.id}", data=form, headers={"Accept-Language": "es"}
    )
    assert refused.status_code == 200
    assert "Una fila por idioma: es figura dos veces." in text(refused)
    assert workplan_writer.get(url).get_json()["translations"]["es"]["title"] == SPANISH_TITLE


def test_a_new_version_keeps_the_translations(workplan_writer, seeded_plan):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    assert (
        patch(workplan_writer, url, {"translations": {"fr": {"title": "Répertoire"}}}).status_code
        == 200
    )
    version_2 = workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions").get_json()
    copied = workplan_writer.get(f"{ACTIVITIES}?work_plan={version_2['id']}&page_size=100")
    (coop,) = [a for a in copied.get_json() if a["code"] == "COOP-01"]
    assert coop["translations"]["fr"]["title"] == "Répertoire"
