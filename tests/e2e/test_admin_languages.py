"""The admin in a real browser that asks for Spanish, then Portuguese (Accept-Language)."""

import re

from playwright.sync_api import expect

from tests.e2e import test_admin_browser as shared
from tests.e2e.test_admin_browser import PROVIDER_BUTTON, shots

# The fixtures of the English browser tests: the same invited focal point and contact.
focal_point_ar = shared.focal_point_ar
ar_contact = shared.ar_contact
fresh_login_limits = shared.fresh_login_limits

# English words of our own pages that must not show on a Spanish page (data aside).
ENGLISH = ("Sign out", "Signed in as", "Contact points", "Directory completeness", "Member state")


def sign_in(page, live_server: str, email: str, password: str, button: str) -> None:
    page.goto(f"{live_server}/admin/")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/admin/"))
    page.get_by_role("link", name=PROVIDER_BUTTON).click()
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name=button).click()  # the test provider's own form
    page.wait_for_url(f"{live_server}/admin/")


def test_focal_point_works_in_spanish_and_reads_a_spanish_validation_message(
    browser, live_server, focal_point_ar, ar_contact, output_path
):
    context = browser.new_context(locale="es-AR", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, live_server, "focal-ar@example.org", "secret-ar", "Sign in")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_test_id("signed-in")).to_contain_text("Sesión iniciada como")
        expect(page.locator("body")).to_contain_text("Completitud del Directorio")
        expect(page.locator("nav")).to_contain_text("Puntos de contacto")
        body = page.locator("body").inner_text()
        assert not [word for word in ENGLISH if word in body], body

        page.goto(f"{live_server}/admin/contactpoint/edit/?id={ar_contact}")
        expect(page.locator("label[for=role]")).to_contain_text("Función en el Directorio")
        page.fill('input[name="channels-0-value"]', "+54 11 1")
        page.locator('input[type="submit"][value="Salvar"]').click()
        form = page.locator("form.admin-form")
        expect(form).to_contain_text("No es un número de teléfono válido.")
        page.screenshot(path=str(shots(output_path) / "contact-edit-es.png"), full_page=True)
        body = page.locator("body").inner_text()
        assert not [word for word in ENGLISH if word in body], body
    finally:
        context.close()


def test_the_dashboard_in_portuguese(browser, live_server, focal_point_ar, output_path):
    context = browser.new_context(locale="pt-BR", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, live_server, "focal-ar@example.org", "secret-ar", "Sign in")
        expect(page.locator("html")).to_have_attribute("lang", "pt")
        dashboard = page.locator("#completeness")
        expect(dashboard).to_contain_text("Ponto focal")
        expect(dashboard).to_contain_text("Contato 24/7 para a investigação")
        expect(page.locator("body")).to_contain_text("Completude do Diretório")
        expect(page.locator("nav")).to_contain_text("Estados membros")
        page.screenshot(path=str(shots(output_path) / "dashboard-pt.png"), full_page=True)

        # The switcher: the person chooses French; the choice outlives the browser's language.
        page.select_option("#language-choice", "fr")
        page.get_by_role("button", name="Mudar idioma").click()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("body")).to_contain_text("Complétude du Répertoire")
    finally:
        context.close()
