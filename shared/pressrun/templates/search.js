// The /search/ page: Pagefind's own interface, in the site's colours and fonts (style.css sets its
// variables). A query sent from the header's search box (/search/?q=...) is run at once; without one
// (a phone's header has only the button) the box takes the focus, ready for the query.
window.addEventListener("DOMContentLoaded", () => {
  const query = new URLSearchParams(window.location.search).get("q");
  const search = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    autofocus: !query,
  });
  if (query) {
    search.triggerSearch(query);
  }
});
