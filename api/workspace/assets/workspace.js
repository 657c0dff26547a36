// bansou workspace: every page works without this file; with it, filters apply as they change and the page keeps
// its place after a form.
(function () {
  'use strict';
  // Filter menus apply at once (the Filter button still works without script).
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () {
      if (select.form) select.form.requestSubmit();
    });
  });
  // A refusal or a confirmation takes the focus, so keyboard and screen-reader users hear it first. The page came
  // back with an anchor to the form (`?done=…#note`, so that without script it keeps its place), and the browser's
  // jump to that anchor, which may come after this script, moves the focus to the page itself: the confirmation
  // takes it back once the page has loaded, and is scrolled into view.
  var notice = document.getElementById('notice');
  if (notice) {
    notice.focus();
    window.addEventListener('load', function () {
      setTimeout(function () {
        if (document.activeElement !== notice) notice.focus();
      }, 0);
    });
  }
  // A form sent twice by a double tap would run its action twice: the button waits for the answer.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type="submit"]');
      if (button)
        setTimeout(function () {
          button.disabled = true;
        }, 0);
    });
  });
})();
