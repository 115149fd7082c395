// Refreshes the page's #live part every 2 s; the control buttons disable themselves on submit (no double post).
(() => {
  const live = document.getElementById('live');
  const url = new URL(location.href);
  url.searchParams.set('part', 'live');
  // Each fetch waits for the one before (a slow answer must not pile requests up).
  const tick = async () => {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (r.ok) live.innerHTML = await r.text();
    } catch (e) { /* the dashboard restarting: try again at the next tick */ }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
  for (const form of document.querySelectorAll('form.control'))
    form.addEventListener('submit', () => { for (const b of document.querySelectorAll('form.control button')) b.disabled = true; });
})();
