// The try page's buttons call the widget's JavaScript API (a file, not inline handlers: the
// page's Content-Security-Policy allows scripts from the hub only).
document.querySelectorAll('button[data-call]').forEach((button) => {
  button.addEventListener('click', () => window.HotelHubChat?.[button.dataset.call]());
});
