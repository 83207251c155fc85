// The little JavaScript of the web UI, as a static file (the Content-Security-Policy forbids inline scripts).
// Every page reads fully without it; it adds copy buttons, tabs for the install snippets and local dates.
'use strict';

document.documentElement.classList.add('js');

function showLocalDates() {
  // <time datetime="ISO"> prints UTC on the server; here it becomes the reader's own time zone.
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  for (const time of document.querySelectorAll('time[datetime]')) {
    const date = new Date(time.getAttribute('datetime'));
    if (Number.isNaN(date.getTime())) continue;
    time.title = date.toISOString();
    time.textContent = (time.dataset.format === 'date' ? dateOnly : format).format(date);
  }
}

function copyText(button) {
  const target = document.getElementById(button.dataset.copy);
  if (!target) return;
  navigator.clipboard.writeText(target.textContent).then(
    () => {
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy'), 1500);
    },
    () => {
      button.textContent = 'Select and copy';
    },
  );
}

function selectTab(install, name) {
  for (const tab of install.querySelectorAll('[role="tab"]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
    tab.tabIndex = tab.dataset.tab === name ? 0 : -1;
  }
  for (const panel of install.querySelectorAll('.snippet')) {
    panel.classList.toggle('active', panel.id === name);
  }
}

function setUpInstallTabs() {
  for (const install of document.querySelectorAll('.install')) {
    const tabs = [...install.querySelectorAll('[role="tab"]')];
    if (tabs.length === 0) continue;
    for (const tab of tabs) {
      tab.addEventListener('click', (event) => {
        event.preventDefault();
        selectTab(install, tab.dataset.tab);
      });
      tab.addEventListener('keydown', (event) => {
        const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
        if (step === 0) return;
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        selectTab(install, next.dataset.tab);
        next.focus();
      });
    }
    selectTab(install, tabs[0].dataset.tab);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  showLocalDates();
  setUpInstallTabs();
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', () => copyText(button));
  }
});
