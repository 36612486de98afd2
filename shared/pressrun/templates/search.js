// The /search/ page: Pagefind's own interface, in the site's colours and fonts (style.css sets its
// variables). A query sent from the header's search box (/search/?q=...) is run at once.
window.addEventListener("DOMContentLoaded", () => {
  const search = new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
  const query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    search.triggerSearch(query);
  }
});
