"""The words of the web pages, in English and Spanish, and how a page picks its language."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to content",
        "subscribe.title": "Subscribe to the daily digest",
        "subscribe.intro": "One email a day with the new articles from the sections you choose. You can leave with one click at any time.",
        "email": "Email address",
        "email.help": "We send a link to this address to confirm it is yours.",
        "sections": "Sections",
        "sections.help": "Choose none to receive every section.",
        "language": "Language",
        "subscribe.button": "Subscribe",
        "sent.title": "Check your inbox",
        "sent.body": "If that address can receive mail, a message with a confirmation link is on its way. The link is valid for 7 days. Nothing is sent until you confirm.",
        "error.email": "Enter a valid email address, such as name@example.com.",
        "error.section": "Choose sections from the list.",
        "error.language": "Choose a language from the list.",
        "error.form": "Please correct the marked field.",
        "limited.title": "Too many requests",
        "limited.body": "Please wait a little and try again.",
        "csrf.title": "The form expired",
        "csrf.body": "For your safety the form is only valid for a while in this browser. Please go back, reload the page and send it again.",
        "token.title": "This link does not work",
        "token.expired": "This link has expired.",
        "token.invalid": "This link is not valid. Please use the latest email you received from us.",
        "token.gone": "This link is no longer valid: the subscription it was made for has been removed.",
        "token.again": "Subscribe again",
        "confirm.title": "Confirm your subscription",
        "confirm.question": "Send the daily digest to {email}?",
        "confirm.button": "Confirm subscription",
        "confirmed.title": "You are subscribed",
        "confirmed.body": "Thank you. Your first digest arrives at the next send time.",
        "confirmed.inactive": "This subscription was closed, so this link no longer activates it. You can subscribe again.",
        "preferences.link": "Change your preferences",
        "preferences.title": "Your preferences",
        "preferences.for": "Digest settings for {email}.",
        "digest_time": "Send time",
        "digest_time.help": "Local time in your timezone, HH:MM.",
        "cadence": "How often",
        "cadence.daily": "Every day",
        "cadence.weekly": "Once a week, on the day below",
        "weekday": "Day of the weekly edition",
        "weekday.mon": "Monday",
        "weekday.tue": "Tuesday",
        "weekday.wed": "Wednesday",
        "weekday.thu": "Thursday",
        "weekday.fri": "Friday",
        "weekday.sat": "Saturday",
        "weekday.sun": "Sunday",
        "alerts": "Also send me breaking news as it happens (a few short emails a day at most)",
        "error.cadence": "Choose every day or once a week.",
        "error.weekday": "Choose the day of the week for your weekly edition.",
        "error.alerts": "Tick the box or leave it empty.",
        "timezone": "Timezone",
        "timezone.help": "A name such as America/Lima or Europe/Madrid.",
        "save": "Save preferences",
        "saved": "Your preferences are saved.",
        "error.timezone": "Enter a timezone name such as America/Lima.",
        "error.digest_time": "Enter a time as HH:MM, such as 07:00.",
        "unsubscribe.link": "Unsubscribe",
        "unsubscribe.title": "Unsubscribe",
        "unsubscribe.question": "Stop sending the daily digest to {email}?",
        "unsubscribe.button": "Unsubscribe",
        "unsubscribed.title": "You are unsubscribed",
        "unsubscribed.body": "No more digests will be sent to this address.",
        "not_subscribed": "This address is not subscribed.",
        "links.title": "Feeds for {section}",
        "links.intro": "Paste these tags into the <head> of the site's pages so feed readers find the feeds.",
        "links.feeds": "Feed addresses",
        "notfound.title": "Page not found",
        "notfound.body": "There is nothing at this address.",
        "digest.missing": "There is no edition for that date.",
        "home": "Back to the site",
    },
    "es": {
        "skip": "Saltar al contenido",
        "subscribe.title": "Suscríbete al resumen diario",
        "subscribe.intro": "Un correo al día con los artículos nuevos de las secciones que elijas. Puedes darte de baja con un clic cuando quieras.",
        "email": "Correo electrónico",
        "email.help": "Enviaremos un enlace a esta dirección para confirmar que es tuya.",
        "sections": "Secciones",
        "sections.help": "Si no eliges ninguna, recibirás todas.",
        "language": "Idioma",
        "subscribe.button": "Suscribirme",
        "sent.title": "Revisa tu correo",
        "sent.body": "Si esa dirección puede recibir correo, te llegará un mensaje con un enlace de confirmación, válido durante 7 días. No enviaremos nada hasta que confirmes.",
        "error.email": "Escribe una dirección de correo válida, como nombre@ejemplo.com.",
        "error.section": "Elige secciones de la lista.",
        "error.language": "Elige un idioma de la lista.",
        "error.form": "Corrige el campo marcado.",
        "limited.title": "Demasiadas solicitudes",
        "limited.body": "Espera un momento y vuelve a intentarlo.",
        "csrf.title": "El formulario caducó",
        "csrf.body": "Por seguridad, el formulario solo es válido por un tiempo en este navegador. Vuelve atrás, recarga la página y envíalo de nuevo.",
        "token.title": "Este enlace no funciona",
        "token.expired": "Este enlace ha caducado.",
        "token.invalid": "Este enlace no es válido. Usa el último correo que te enviamos.",
        "token.gone": "Este enlace ya no es válido: la suscripción para la que se hizo ya no existe.",
        "token.again": "Suscribirme de nuevo",
        "confirm.title": "Confirma tu suscripción",
        "confirm.question": "¿Enviar el resumen diario a {email}?",
        "confirm.button": "Confirmar suscripción",
        "confirmed.title": "Suscripción confirmada",
        "confirmed.body": "Gracias. Tu primer resumen llegará en la próxima hora de envío.",
        "confirmed.inactive": "Esta suscripción se cerró, así que este enlace ya no la activa. Puedes suscribirte de nuevo.",
        "preferences.link": "Cambiar tus preferencias",
        "preferences.title": "Tus preferencias",
        "preferences.for": "Ajustes del resumen para {email}.",
        "digest_time": "Hora de envío",
        "digest_time.help": "Hora local de tu zona horaria, HH:MM.",
        "cadence": "Frecuencia",
        "cadence.daily": "Cada día",
        "cadence.weekly": "Una vez por semana, el día de abajo",
        "weekday": "Día de la edición semanal",
        "weekday.mon": "Lunes",
        "weekday.tue": "Martes",
        "weekday.wed": "Miércoles",
        "weekday.thu": "Jueves",
        "weekday.fri": "Viernes",
        "weekday.sat": "Sábado",
        "weekday.sun": "Domingo",
        "alerts": "Envíame también las noticias de última hora (unos pocos correos breves al día como mucho)",
        "error.cadence": "Elige cada día o una vez por semana.",
        "error.weekday": "Elige el día de la semana de tu edición semanal.",
        "error.alerts": "Marca la casilla o déjala vacía.",
        "timezone": "Zona horaria",
        "timezone.help": "Un nombre como America/Lima o Europe/Madrid.",
        "save": "Guardar preferencias",
        "saved": "Tus preferencias se guardaron.",
        "error.timezone": "Escribe una zona horaria como America/Lima.",
        "error.digest_time": "Escribe una hora como HH:MM, por ejemplo 07:00.",
        "unsubscribe.link": "Darme de baja",
        "unsubscribe.title": "Darse de baja",
        "unsubscribe.question": "¿Dejar de enviar el resumen diario a {email}?",
        "unsubscribe.button": "Darme de baja",
        "unsubscribed.title": "Te diste de baja",
        "unsubscribed.body": "No enviaremos más resúmenes a esta dirección.",
        "not_subscribed": "Esta dirección no está suscrita.",
        "links.title": "Feeds de {section}",
        "links.intro": "Pega estas etiquetas en el <head> de las páginas del sitio para que los lectores de feeds los encuentren.",
        "links.feeds": "Direcciones de los feeds",
        "notfound.title": "Página no encontrada",
        "notfound.body": "No hay nada en esta dirección.",
        "digest.missing": "No hay edición para esa fecha.",
        "home": "Volver al sitio",
    },
}


def translate(language: str, key: str, **values: str) -> str:
    text = MESSAGES.get(language, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
    return text.format(**values) if values else text


def pick_language(request: Request, default: str) -> str:
    """?lang= first, then the browser's Accept-Language, then the site's language."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked
    best, best_q = "", 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.partition(";")
        code = tag.strip().lower().split("-")[0]
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code in LANGUAGES and quality > best_q:
            best, best_q = code, quality
    if best:
        return best
    return default if default in LANGUAGES else "en"
