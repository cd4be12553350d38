// POSTs from the media scripts, with the CSRF token base.html gives htmx.
export function csrfToken() {
  return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
}

// A JSON answer as {ok, status, ...body}; a network failure reads as not ok.
export async function post(url, fields) {
  const body = new FormData();
  Object.entries(fields || {}).forEach(([name, value]) => body.append(name, value));
  try {
    const response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrfToken() } });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, ...data };
  } catch {
    return { ok: false, status: 0 };
  }
}
