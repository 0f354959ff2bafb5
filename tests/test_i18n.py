"""Languages: English, Spanish, French and Portuguese, in every part a person reads.

The catalog checks read the committed `.po` files (the source the `.mo` files are compiled
from); the other tests ask the running service in a language and read what comes back.
"""

import re
import string
from pathlib import Path

import lxml.html
import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from service.core.i18n import TRANSLATED, compile_catalogs, marshmallow_messages
from service.core.marshmallow_messages import MESSAGES
from service.directory.models import ContactPoint
from tests.test_admin import contact_of, text
from tests.test_admin_conflicts import edit_form_values

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "service" / "translations"
KEYWORDS = ["-k", "_l", "-k", "N_", "-k", "TranslatedMessage"]


def catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def plain(response) -> str:
    return " ".join(lxml.html.fromstring(text(response)).text_content().split())


# -- the catalogs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code and templates now, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--no-location",
            *KEYWORDS,
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with open(pot, "rb") as template:
        return read_po(template)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_holds_every_string_of_the_code(extracted, language):
    """A string added to the code or a template without `make messages` fails here."""
    known = {message.id for message in catalog(language) if message.id}
    wanted = {message.id for message in extracted if message.id}
    missing = sorted(map(str, wanted - known))
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    stale = sorted(map(str, known - wanted))
    assert not stale, f"run `make messages` (no longer in the code): {stale[:10]}"


def placeholders(text: str) -> list[str]:
    percent = re.findall(r"%\(\w+\)[sdr]|%[sd]", text)
    braces = [
        f"{{{name}{'!' + conversion if conversion else ''}}}"
        for _, name, _, conversion in string.Formatter().parse(
            text.replace("{{", "").replace("}}", "")
        )
        if name is not None
    ]
    return sorted(
        [*percent, *braces, *re.findall(r"</?(?:strong|span|em|br|a|code)\b[^>]*>", text)]
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language):
    translations = catalog(language)
    problems = []
    for message in translations:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        for translated in strings:
            if placeholders(translated) != placeholders(ids[-1]):
                problems.append(f"placeholders differ: {message.id!r} -> {translated!r}")
        problems += [f"{message.id!r}: {error}" for error in message.check(translations)]
    assert len(translations) > 400
    assert problems == []


def test_marshmallow_messages_are_all_listed_for_extraction():
    """A marshmallow upgrade with new built-in messages fails here, not silently in English."""
    built_in = {str.__str__(text) for _, _, text in marshmallow_messages()}
    assert built_in == set(MESSAGES)


def test_catalogs_compile_where_the_package_cannot_be_written(tmp_path):
    """A read-only installation compiles into the instance folder; the .mo is never committed."""
    source = tmp_path / "source"
    (source / "es" / "LC_MESSAGES").mkdir(parents=True)
    (source / "es" / "LC_MESSAGES" / "messages.po").write_bytes(
        (TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po").read_bytes()
    )
    source.chmod(0o555)
    try:
        target = compile_catalogs(str(source), str(tmp_path / "instance"))
    finally:
        source.chmod(0o755)
    compiled = Path(target) / "es" / "LC_MESSAGES" / "messages.mo"
    assert compiled.stat().st_size > 10_000
    assert "LC_MESSAGES/*.mo" in (ROOT / ".gitignore").read_text()  # built, never committed


# -- choosing the language -----------------------------------------------------------------


def test_sign_in_page_follows_the_browser_and_says_so_in_html_lang(client):
    spanish = client.get("/auth/login", headers={"Accept-Language": "es-AR,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in text(spanish)
    assert "Iniciar sesión" in plain(spanish)
    assert "Autoridades Nacionales en Materia de Trata de Personas" in plain(spanish)
    assert spanish.headers["Content-Language"] == "es"
    assert "Accept-Language" in spanish.headers["Vary"]

    french = client.get("/auth/login", headers={"Accept-Language": "fr-HT"})
    assert '<html lang="fr">' in text(french) and "Se connecter" in plain(french)
    portuguese = client.get("/auth/login", headers={"Accept-Language": "pt-BR"})
    assert '<html lang="pt">' in text(portuguese) and "Entrar" in plain(portuguese)
    other = client.get("/auth/login", headers={"Accept-Language": "de, ja"})
    assert '<html lang="en">' in text(other) and "Sign in" in plain(other)


def test_the_switcher_saves_a_signed_in_persons_choice_over_the_browsers(
    app, client, login, session
):
    from service.identity.models import User

    headers = login(client, "focal_point", "AR")
    page = client.get("/admin/", headers={"Accept-Language": "en"})
    assert 'data-testid="language-switcher"' in text(page)
    refused = client.post("/auth/language", data={"language": "pt", "next": "/admin/"})
    assert refused.status_code == 400  # no CSRF token: nothing saved

    chosen = client.post(
        "/auth/language",
        data={"language": "pt", "next": "/admin/", "csrf_token": headers["X-CSRFToken"]},
    )
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/admin/"
    user = session.query(User).order_by(User.id.desc()).first()
    assert user.locale == "pt"
    dashboard = client.get("/admin/", headers={"Accept-Language": "en"})
    assert '<html lang="pt">' in text(dashboard)
    assert "Completude do Diretório" in plain(dashboard)
    assert "Sair" in plain(dashboard)

    unknown = client.post(
        "/auth/language",
        data={"language": "xx", "csrf_token": headers["X-CSRFToken"]},
        headers={"Accept-Language": "es"},
    )
    assert unknown.status_code == 400
    assert "Escolha um dos idiomas oferecidos" in text(unknown)  # the saved choice still rules


def test_error_pages_outside_the_admin_are_in_the_persons_language(client):
    missing = client.get("/auth/nowhere", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404
    assert '<html lang="fr">' in text(missing) and "Introuvable" in plain(missing)


# -- the admin in Spanish ------------------------------------------------------------------


@pytest.fixture
def focal_ar_es(client, login):
    login(client, "focal_point", "AR")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    return client


def test_a_focal_point_reads_the_admin_in_spanish(focal_ar_es):
    dashboard = plain(focal_ar_es.get("/admin/"))
    for words in ("Completitud del Directorio", "Punto focal", "Estados miembros", "Cerrar sesión"):
        assert words in dashboard
    for english in ("Directory completeness", "Member states", "Sign out", "Focal point"):
        assert english not in dashboard
    contacts = plain(focal_ar_es.get("/admin/contactpoint/"))
    assert "Puntos de contacto" in contacts and "Última verificación" in contacts
    assert "Contact points" not in contacts


def test_a_spanish_validation_message_lands_next_to_the_field(focal_ar_es, session):
    contact = contact_of(session, "AR")
    url = f"/admin/contactpoint/edit/?id={contact.id}"
    form = edit_form_values(focal_ar_es.get(url))
    form["channels-0-type"] = "phone"
    form["channels-0-value"] = "+54 11 1"
    response = focal_ar_es.post(url, data=form)
    assert response.status_code == 200
    assert "No es un número de teléfono válido." in plain(response)
    session.expire_all()
    assert session.get(ContactPoint, contact.id).channels[0].value != "+54 11 1"


# -- the API ------------------------------------------------------------------------------


def test_same_bad_request_in_spanish_and_english_same_code_different_detail(client, login):
    headers = login(client, "secretariat")
    bad = {"authority_id": "not a number", "name": "", "surprise": True}
    answers = {
        language: client.post(
            "/api/v1/contacts", json=bad, headers={**headers, "Accept-Language": language}
        )
        for language in ("en", "es")
    }
    english, spanish = (answers[lang].get_json() for lang in ("en", "es"))
    assert answers["en"].status_code == answers["es"].status_code == 422
    assert english["code"] == spanish["code"] == "validation_failed"
    assert english["detail"] != spanish["detail"]
    assert english["title"] == "Unprocessable Content"
    assert spanish["title"] == "Contenido no procesable"
    assert "Unknown field." in english["detail"] and "Campo desconocido." in spanish["detail"]
    assert {e["field"] for e in english["errors"]} == {e["field"] for e in spanish["errors"]}
    assert answers["es"].headers["Content-Language"] == "es"


@pytest.mark.parametrize(
    ("status", "code", "path"),
    [(404, "not_found", "/api/v1/authorities/999999"), (401, "unauthorized", None)],
)
def test_problems_carry_a_stable_code(app, api, status, code, path):
    client = api if path else app.test_client()
    response = client.get(path or "/api/v1/authorities", headers={"Accept-Language": "pt"})
    body = response.get_json()
    assert response.status_code == status and body["code"] == code
    assert body["title"] in {"Não encontrado", "Não autenticado"}


def test_vocabularies_give_every_code_in_four_languages(api):
    response = api.get("/api/v1/vocabularies", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    vocabularies = response.get_json()
    for name in (
        "roles",
        "contact_roles",
        "authority_kinds",
        "channel_types",
        "pillars",
        "activity_statuses",
        "work_plan_statuses",
        "competences",
    ):
        assert vocabularies[name], name
        for term in vocabularies[name]:
            assert set(term["labels"]) == {"en", "es", "fr", "pt"}, term
            assert all(term["labels"].values()), term
    roles = {t["code"]: t["labels"] for t in vocabularies["roles"]}
    assert roles["focal_point"] == {
        "en": "focal point",
        "es": "punto focal",
        "fr": "point focal",
        "pt": "ponto focal",
    }
    pillars = {t["code"]: t["labels"] for t in vocabularies["pillars"]}
    assert pillars["prosecution"]["pt"] == "Persecução penal"
    competences = {t["code"]: t["labels"] for t in vocabularies["competences"]}
    assert competences["victim_assistance"]["es"] == "Asistencia a víctimas"


def test_vocabularies_need_a_credential(app, session):
    response = app.test_client().get("/api/v1/vocabularies")
    assert response.status_code == 401 and response.get_json()["code"] == "unauthorized"


def test_the_committee_document_follows_accept_language(api, session):
    from service.workplan.models import WorkPlan

    plan = session.query(WorkPlan).order_by(WorkPlan.id).first()
    page = api.get(
        f"/api/v1/work-plans/{plan.id}/document?format=html", headers={"Accept-Language": "es"}
    )
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert '<html lang="es">' in body
    assert "Anexo: cobertura de las recomendaciones" in body and "Mandatos" in body
    assert "Órganos responsables" in body


# -- texts of record ------------------------------------------------------------------------


def test_adopted_texts_stay_english_and_are_marked_as_such(client, login, api, session):
    from service.workplan.models import Recommendation

    recommendation = session.query(Recommendation).order_by(Recommendation.id).first()
    login(client, "secretariat")
    page = client.get(
        f"/admin/recommendation/details/?id={recommendation.id}",
        headers={"Accept-Language": "es"},
    )
    document = lxml.html.fromstring(text(page))
    (shown,) = document.xpath('//span[@lang="en"]')
    assert shown.text_content() == recommendation.text
    badge = document.xpath('//*[@data-testid="original-language"]')[0].text_content()
    assert badge == "texto original en inglés"

    english = client.get(
        f"/admin/recommendation/details/?id={recommendation.id}",
        headers={"Accept-Language": "en"},
    )
    assert 'data-testid="original-language"' not in text(english)

    served = api.get(
        f"/api/v1/recommendations/{recommendation.id}", headers={"Accept-Language": "fr"}
    ).get_json()
    assert served["text"] == recommendation.text and served["text_language"] == "en"


# -- member states' names, dates and numbers in the reader's language ----------------------


def test_the_printable_directory_in_spanish_names_states_and_dates_in_spanish(secretariat):
    from datetime import UTC, datetime

    from babel.dates import format_date

    spanish = secretariat.get("/admin/printable_directory/html", headers={"Accept-Language": "es"})
    assert spanish.status_code == 200
    page = plain(spanish)
    assert '<html lang="es">' in text(spanish)
    today = format_date(datetime.now(UTC).date(), format="long", locale="es")  # 30 de noviembre…
    assert f"Directorio de Autoridades Nacionales — al {today}" in page
    assert "Brasil (BR)" in page and "Brazil (BR)" not in page
    assert "Autoridad coordinadora" in page and "Coordinating authority" not in page
    assert "Estados miembros que no participan" in page
    assert "Cuba (CU) — no participa desde el 3 de junio de 2009" in page
    assert "Todos los Estados miembros" in page

    english = plain(secretariat.get("/admin/printable_directory/html"))
    assert "Brazil (BR)" in english and "Cuba (CU) — not participating since 3 June 2009" in english

    form = plain(secretariat.get("/admin/printable_directory/", headers={"Accept-Language": "es"}))
    assert "Brasil (BR)" in form and "Un Estado miembro" in form
    # in the alphabetical order of the Spanish names
    assert form.index("Estados Unidos (US)") < form.index("Granada (GD)") < form.index("Haití (HT)")


def test_the_freshness_pages_in_portuguese(secretariat):
    page = plain(secretariat.get("/admin/freshness/", headers={"Accept-Language": "pt"}))
    assert "Atualização do diretório" in page and "Freshness of the directory" not in page
    assert "BR · Brasil" in page and "US · Estados Unidos" in page
    assert "Último lembrete" in page and "nunca" in page
    assert "Pré-visualizar a campanha" in page

    preview = plain(
        secretariat.get(
            "/admin/freshness/preview/?member_state=BR", headers={"Accept-Language": "pt"}
        )
    )
    assert "Campanha de reconfirmação: BR · Brasil" in preview
    assert "Voltar à atualização" in preview

    refused = secretariat.get(
        "/admin/freshness/preview/?member_state=NI", headers={"Accept-Language": "pt"}
    )
    assert refused.status_code == 409
    assert "NI · Nicarágua não participa (retirado)" in plain(refused)


def test_the_dashboard_names_states_and_dates_in_portuguese(secretariat):
    page = plain(secretariat.get("/admin/", headers={"Accept-Language": "pt"}))
    assert "BR · Brasil" in page and "US · Estados Unidos" in page
    assert "3 de junho de 2009" in page  # Cuba's status since (not 2009-06-03)


# -- emails in the recipient's language ------------------------------------------------------


def test_a_member_states_default_language_is_seeded_and_editable(secretariat, session):
    from service.directory.models import MemberState

    languages = {
        code: session.get(MemberState, code).default_language
        for code in ("AR", "BR", "HT", "CA", "JM", "MX")
    }
    assert languages == {"AR": "es", "BR": "pt", "HT": "fr", "CA": "en", "JM": "en", "MX": "es"}

    url = "/admin/memberstate/edit/?id=JM"
    form = edit_form_values(secretariat.get(url))
    assert form["default_language"] == "en"
    form["default_language"] = "fr"
    saved = secretariat.post(url, data=form)
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(MemberState, "JM").default_language == "fr"

    form["default_language"] = "de"
    refused = secretariat.post(url, data=form)
    assert refused.status_code == 200  # the form again, with the error by the field
    session.expire_all()
    assert session.get(MemberState, "JM").default_language == "fr"


def test_reminders_are_in_the_recipients_language_else_the_states(app, session, mailbox, make_user):
    from service.reminders import campaigns

    assert campaigns.due_entries("AR")
    chose_french = make_user("focal_point", "AR", email="francoise@demo-ar.example.org")
    chose_french.locale = "fr"
    no_choice = make_user("focal_point", "AR", email="sin.preferencia@demo-ar.example.org")
    session.commit()

    campaigns.send_reminders("AR")

    [spanish] = mailbox.to(no_choice.email)  # Argentina's default language
    assert (
        spanish["Subject"].strip().startswith("Directorio de Autoridades Nacionales: reconfirme ")
    )
    assert spanish["Subject"].endswith(" entradas de Argentina")
    assert spanish["Content-Language"] == "es"
    body = spanish.get_body(("plain",)).get_content()
    assert "Sigue siendo correcta:" in body and "Make changes" not in body
    assert "Hacer cambios:" in body
    assert '<html lang="es">' in spanish.get_body(("html",)).get_content()

    [french] = mailbox.to(chose_french.email)  # the person's own choice wins
    assert (
        french["Subject"]
        .strip()
        .startswith("Répertoire des autorités nationales : veuillez reconfirmer")
    )
    assert french["Content-Language"] == "fr"
    french_body = french.get_body(("plain",)).get_content()
    assert "Toujours correcte :" in french_body and "Argentine" in french_body


def test_a_reminder_with_one_entry_is_singular_and_dates_are_the_readers(
    app, session, mailbox, make_user
):
    from service.directory.models import MemberState
    from service.reminders import campaigns

    state = session.get(MemberState, "BR")
    [entry, *_] = campaigns.due_entries("AR", respect_interval=False)
    with app.test_request_context():
        message = campaigns.message_for(state, [entry], "ponto.focal@demo-br.example.org", [])
    assert message["Subject"] == (
        "Diretório de Autoridades Nacionais: reconfirme 1 registro de Brasil"
    )
    assert (
        "1 registro do diretório não foi reconfirmado" in message.get_body(("plain",)).get_content()
    )


# -- OAuth errors ---------------------------------------------------------------------------


def test_oauth_error_descriptions_follow_accept_language_and_the_code_does_not(
    client, make_api_client
):
    from service.core.limits import limiter

    limiter.reset()
    api_client, secret = make_api_client("directory:read")

    def token(language: str, **data: str):
        return client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", **data},
            auth=(api_client.client_id, secret + "x" if data.pop("wrong", None) else secret),
            headers={"Accept-Language": language},
        )

    english, spanish = token("en", wrong="1"), token("es", wrong="1")
    assert english.status_code == spanish.status_code == 401
    assert english.get_json()["error"] == spanish.get_json()["error"] == "invalid_client"
    assert spanish.get_json()["error_description"].startswith(
        "Fallo la autenticacion del cliente"
    )  # RFC 6749: ASCII
    assert english.get_json()["error_description"] != spanish.get_json()["error_description"]

    french = token("fr", scope="workplan:write")
    assert french.get_json()["error"] == "invalid_scope"
    assert french.get_json()["error_description"] == (
        "Aucune des portees demandees n'est accordee a ce client."
    )
    portuguese = token("pt", grant_type="password")
    assert portuguese.get_json()["error"] == "unsupported_grant_type"
    assert "client_credentials" in portuguese.get_json()["error_description"]
    assert portuguese.get_json()["error_description"].startswith("Este servidor aceita")
