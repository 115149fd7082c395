// Keeps the page's #live part as the server pushes it: a server-sent event (from PATH/events) whenever a journaled event
// or the cluster changed it; the page itself asks for nothing. The control buttons disable themselves on submit (no
// double post).
(() => {
  const live = document.getElementById('live');
  const stream = new EventSource(location.pathname.replace(/\/$/, '') + '/events');
  stream.onmessage = m => { live.innerHTML = m.data; };
  // The browser reconnects by itself when the stream ends (the dashboard restarting).
  window.dashboardStream = stream;
  addEventListener('pagehide', () => stream.close());
  for (const form of document.querySelectorAll('form.control'))
    form.addEventListener('submit', () => { for (const b of document.querySelectorAll('form.control button')) b.disabled = true; });
})();
