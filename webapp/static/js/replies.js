// Snabbsvar in the chat box (#17 item 2): "/" at the start of the message
// opens the rep's canned replies, filtered as the rest is typed; the arrow
// keys move, Enter puts the reply in the box in the helped customer's
// language (the rep's own when the reply has no text in it), and Escape
// closes the list. {kund} (or {customer}) and {rep} are filled in.
const form = document.querySelector("[data-chat-form][data-replies-url]");

if (form) {
  const box = form.querySelector("textarea");
  const list = form.querySelector("#reply-choices");
  let replies = null; // fetched once, when "/" is first typed
  const load = async () => {
    if (replies) return replies;
    const response = await fetch(form.dataset.repliesUrl, { headers: { Accept: "application/json" } });
    replies = response.ok ? await response.json() : [];
    return replies;
  };
  let shown = [];
  let active = 0;

  const customer = () => document.querySelector("#participants [data-helped][data-locale]")
    || document.querySelector("#participants .role-customer[data-locale]");
  const textOf = (reply) => {
    const row = customer();
    const language = row?.dataset.locale || document.documentElement.lang;
    const other = language === "sv" ? "en" : "sv";
    const name = row?.querySelector(".participant-name")?.firstChild?.textContent.trim() || "";
    return (reply[language] || reply[other] || "")
      .replaceAll("{kund}", name).replaceAll("{customer}", name)
      .replaceAll("{rep}", form.dataset.myName);
  };

  const close = () => {
    list.hidden = true;
    shown = [];
    box.removeAttribute("aria-activedescendant");
  };

  const render = () => {
    list.replaceChildren(...shown.map((reply, index) => {
      const option = document.createElement("li");
      option.id = `reply-choice-${reply.id}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === active));
      const name = document.createElement("strong");
      name.textContent = reply.name;
      const preview = document.createElement("span");
      preview.textContent = textOf(reply);
      option.append(name, preview);
      option.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus in the box
        take(reply);
      });
      return option;
    }));
    list.hidden = shown.length === 0;
    if (shown.length) box.setAttribute("aria-activedescendant", `reply-choice-${shown[active].id}`);
  };

  const take = (reply) => {
    box.value = textOf(reply);
    close();
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };

  box.addEventListener("input", async () => {
    if (!box.value.startsWith("/")) return close();
    const all = await load();
    if (!box.value.startsWith("/")) return close();
    const wanted = box.value.slice(1).trim().toLowerCase();
    shown = all.filter((reply) => reply.name.toLowerCase().includes(wanted)).slice(0, 8);
    active = 0;
    render();
  });

  // Before the form's own Enter: with the list open, Enter takes a reply.
  box.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      event.stopImmediatePropagation();
      take(shown[active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  }, true);
  box.addEventListener("blur", close);
}
